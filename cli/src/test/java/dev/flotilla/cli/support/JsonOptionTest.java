package dev.flotilla.cli.support;

import dev.flotilla.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command takes {@code --json} (its own or its parent's), but for the ones docs/cli.md names as having no
 * result to print: the long-running processes, the narrated demo, the shell-completion script and help; the
 * benchmarks print JSON always.
 */
class JsonOptionTest {
    /** Commands without {@code --json}, as docs/cli.md lists them. */
    private static final Set<String> WITHOUT = Set.of("flotilla help", "flotilla server", "flotilla agent",
            "flotilla sim device", "flotilla demo", "flotilla completion");

    @Test
    void everyCommandTakesJsonButTheDocumentedOnes() {
        List<String> without = new ArrayList<>();
        walk(Main.commandLine(), without);
        assertThat(without).containsExactlyInAnyOrderElementsOf(WITHOUT);
    }

    private static void walk(CommandLine c, List<String> without) {
        if (!c.getSubcommands().isEmpty()) {
            c.getSubcommands().values().forEach(s -> walk(s, without));
            return;
        }
        String name = c.getCommandSpec().qualifiedName();
        if (name.startsWith("flotilla bench ")) {
            return; // prints its JSON result always (BenchCommand)
        }
        for (CommandLine at = c; at != null; at = at.getParent()) {
            if (at.getCommandSpec().findOption("--json") != null) {
                return;
            }
        }
        without.add(name);
    }
}
