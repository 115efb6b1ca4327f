package dev.flotilla.cli.support;

import dev.flotilla.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command that runs on its own (a leaf, or a group that runs without a subcommand too, such as {@code sim})
 * takes {@code --json} (its own; a command method, as tuf-client's steps are, its class's), but for the ones docs/cli.md names as having no result to print:
 * {@code flotilla} and {@code flotilla bench} alone (their help), the long-running processes, the narrated demo, the
 * shell-completion script and help; the benchmarks print JSON always.
 */
class JsonOptionTest {
    /** Commands without {@code --json}, as docs/cli.md lists them. */
    private static final Set<String> WITHOUT = Set.of("flotilla", "flotilla bench", "flotilla help", "flotilla server",
            "flotilla agent", "flotilla sim device", "flotilla demo", "flotilla completion");

    @Test
    void everyCommandThatRunsTakesJsonButTheDocumentedOnes() {
        List<String> runs = new ArrayList<>();
        List<String> without = new ArrayList<>();
        walk(Main.commandLine(), runs, without);
        assertThat(without).containsExactlyInAnyOrderElementsOf(WITHOUT);
        assertThat(runs).as("groups that run on their own are checked too").contains("flotilla sim", "flotilla tuf-client");
    }

    private static void walk(CommandLine c, List<String> runs, List<String> without) {
        new LinkedHashSet<>(c.getSubcommands().values()).forEach(s -> walk(s, runs, without)); // once, not per alias
        Object command = c.getCommand();
        boolean runsAlone = c.getSubcommands().isEmpty() || command instanceof Runnable
                || command instanceof Callable || command instanceof Method;
        String name = c.getCommandSpec().qualifiedName();
        if (!runsAlone || name.startsWith("flotilla bench ")) {
            return; // a group that needs a subcommand; a benchmark prints its JSON result always (BenchCommand)
        }
        runs.add(name);
        // a command method (tuf-client's steps) takes the options of its class, the parent's
        CommandLine owner = command instanceof Method ? c.getParent() : c;
        if (owner.getCommandSpec().findOption("--json") == null) {
            without.add(name);
        }
    }
}
