package dev.flotilla.cli.support;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * Gives each subcommand of a command group the group's examples that run it (a picocli model transformer,
 * {@code @Command(modelTransformer = Examples.class)}). A group writes its examples once, as its footer
 * under "Examples:", one command a line ({@code "  flotilla devices list --hardware board-a"}, a long one
 * continued on the next lines after a trailing backslash); {@code flotilla devices list --help} then ends
 * with the commands that start with {@code flotilla devices list}, and {@code flotilla devices --help} with
 * all of them. A subcommand with its own footer keeps it.
 */
public final class Examples implements CommandLine.IModelTransformer {
    static final String HEADING = "%nExamples:%n";

    @Override
    public CommandSpec transform(CommandSpec group) {
        String[] examples = group.usageMessage().footer();
        for (CommandLine sub : group.subcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.usageMessage().footer().length > 0) {
                continue;
            }
            List<String> own = new ArrayList<>();
            boolean taking = false;
            for (int i = 0; i < examples.length; i++) {
                boolean continued = i > 0 && examples[i - 1].endsWith("\\");
                taking = continued ? taking : runs(examples[i], group.name(), spec.name());
                if (taking) {
                    own.add(examples[i]);
                }
            }
            if (!own.isEmpty()) {
                spec.usageMessage().footerHeading(HEADING).footer(own.toArray(String[]::new));
            }
        }
        return group;
    }

    private static boolean runs(String line, String group, String sub) {
        String prefix = "flotilla " + group + " " + sub;
        String l = line.strip();
        return l.startsWith(prefix) && (l.length() == prefix.length() || l.charAt(prefix.length()) == ' ');
    }
}
