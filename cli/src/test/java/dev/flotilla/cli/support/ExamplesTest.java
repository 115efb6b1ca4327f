package dev.flotilla.cli.support;

import dev.flotilla.cli.CliRun;
import dev.flotilla.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command of the whole tree ({@code flotilla} and each group among them) ends its {@code --help} with
 * examples, one of which runs it; a subcommand that takes its examples from its group ({@link Examples}) gets only
 * the ones that run it. The exceptions are the ones docs/cli.md names.
 */
class ExamplesTest {
    /**
     * Commands whose --help has no example of themselves: {@code help}; the earlier name {@code rollout status},
     * not listed; and tuf-client's protocol steps, which take tuf-client's options before them and have no --help of
     * their own (tuf-client's examples run each).
     */
    private static final Set<String> WITHOUT = Set.of("flotilla help", "flotilla rollout status",
            "flotilla tuf-client init", "flotilla tuf-client refresh", "flotilla tuf-client download");

    @Test
    void everyCommandEndsItsHelpWithAnExampleOfItselfButTheDocumentedOnes() {
        List<String> checked = new ArrayList<>();
        List<String> without = new ArrayList<>();
        walk(Main.commandLine(), checked, without);
        assertThat(without).containsExactlyInAnyOrderElementsOf(WITHOUT);
        assertThat(checked).as("the walk reaches the groups within groups")
                .contains("flotilla devices group-window", "flotilla devices group-window set");
    }

    private static void walk(CommandLine c, List<String> checked, List<String> without) {
        String path = c.getCommandSpec().qualifiedName();
        String help = help(path);
        List<String> examples = help.contains("Examples:") ? help.substring(help.indexOf("Examples:")).lines()
                .filter(l -> l.startsWith("  flotilla ")).map(String::strip).toList() : List.of();
        if (examples.stream().noneMatch(l -> runs(l, path))) {
            without.add(path);
        } else if (fromItsGroup(c)) {
            assertThat(examples).as(path + ": only its group's examples that run it").allMatch(l -> runs(l, path));
        }
        checked.add(path);
        new LinkedHashSet<>(c.getSubcommands().values()).forEach(s -> walk(s, checked, without)); // once, not per alias
    }

    /** What {@code path --help} prints. */
    private static String help(String path) {
        List<Object> args = new ArrayList<>(Arrays.asList((Object[]) path.split(" ")).subList(1, path.split(" ").length));
        args.add("--help");
        return CliRun.of(args.toArray()).out();
    }

    /** Whether {@code c} writes no examples of its own, under a group that hands its examples on. */
    private static boolean fromItsGroup(CommandLine c) {
        Command own = c.getCommand().getClass().getAnnotation(Command.class);
        return own != null && own.footer().length == 0 && c.getParent() != null
                && c.getParent().getCommandSpec().modelTransformer() instanceof Examples;
    }

    private static boolean runs(String line, String path) {
        return line.equals(path) || line.startsWith(path + " ");
    }
}
