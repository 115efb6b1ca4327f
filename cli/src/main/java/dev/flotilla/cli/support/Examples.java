package dev.flotilla.cli.support;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Gives each subcommand of a command group the group's examples that run it (a picocli model transformer,
 * {@code @Command(modelTransformer = Examples.class)}). A group writes its examples once, as its footer
 * under "Examples:", one command a line ({@code "  flotilla devices list --hardware board-a"}, a long one
 * continued on the next lines after a trailing backslash); {@code flotilla devices list --help} then ends
 * with the commands that start with {@code flotilla devices list}, and {@code flotilla devices --help} with
 * all of them. A subcommand with its own footer keeps it. A group within a group ({@code devices
 * group-window}) hands its examples on the same way, each matched by its subcommands' full path
 * ({@code flotilla devices group-window set}).
 *
 * <p>Picocli builds a command's model, and transforms it, from the innermost group out, each before it is added
 * under its parent: when {@code devices} is transformed, {@code group-window} is already under it but
 * {@code devices} is not yet under {@code flotilla}. So each group hands on the examples of the groups within it
 * too, and a path that does not start at {@code flotilla} gets it in front.
 */
public final class Examples implements CommandLine.IModelTransformer {
    static final String HEADING = "%nExamples:%n";

    @Override
    public CommandSpec transform(CommandSpec group) {
        handOn(group);
        return group;
    }

    /** Hands {@code group}'s examples to its subcommands, then does the same within each subcommand that is a group. */
    private static void handOn(CommandSpec group) {
        String[] examples = group.usageMessage().footer();
        for (CommandLine sub : new LinkedHashSet<>(group.subcommands().values())) { // once, not per alias
            CommandSpec spec = sub.getCommandSpec();
            if (spec.usageMessage().footer().length == 0) {
                List<String> own = running(examples, path(spec));
                if (!own.isEmpty()) {
                    spec.usageMessage().footerHeading(HEADING).footer(own.toArray(String[]::new));
                }
            }
        }
        for (CommandLine sub : new LinkedHashSet<>(group.subcommands().values())) {
            if (!sub.getSubcommands().isEmpty()) {
                handOn(sub.getCommandSpec());
            }
        }
    }

    /** The lines of {@code examples} that run {@code path}, each with the lines it continues on. */
    private static List<String> running(String[] examples, String path) {
        List<String> own = new ArrayList<>();
        boolean taking = false;
        for (int i = 0; i < examples.length; i++) {
            boolean continued = i > 0 && examples[i - 1].endsWith("\\");
            taking = continued ? taking : runs(examples[i], path);
            if (taking) {
                own.add(examples[i]);
            }
        }
        return own;
    }

    /** The command's full path: {@code flotilla devices group-window set}. */
    private static String path(CommandSpec spec) {
        String name = spec.qualifiedName();
        return name.equals("flotilla") || name.startsWith("flotilla ") ? name : "flotilla " + name;
    }

    private static boolean runs(String line, String path) {
        String l = line.strip();
        return l.startsWith(path) && (l.length() == path.length() || l.charAt(path.length()) == ' ');
    }
}
