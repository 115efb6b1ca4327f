package dev.flotilla.cli.support;

import dev.flotilla.cli.CliRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every operator subcommand's --help ends with an example that runs it. */
class ExamplesTest {
    @Test
    void everyOperatorSubcommandHasAnExampleOfItself() {
        List<List<String>> commands = List.of(
                List.of("devices", "list", "show", "events", "tag", "group", "decommission", "recommission", "delete"),
                List.of("deployments", "create", "list", "show", "cancel"),
                List.of("rollout", "create", "preview", "start", "pause", "resume", "abort", "advance", "approve",
                        "retry", "show", "list", "devices"),
                List.of("tokens", "create", "list", "revoke"),
                List.of("enrollment-tokens", "create", "list", "revoke"),
                List.of("audit", "list"),
                List.of("release", "sign", "publish", "list", "download", "refresh", "delete"),
                List.of("trust", "init", "rotate", "sign", "publish", "status"),
                List.of("keys", "generate"));
        for (List<String> group : commands) {
            CliRun all = CliRun.of(group.get(0), "--help");
            assertThat(all.out()).as(group.get(0)).contains("Examples:");
            for (String sub : group.subList(1, group.size())) {
                CliRun help = CliRun.of(group.get(0), sub, "--help");
                String examples = help.out().substring(help.out().indexOf("Examples:"));
                String runs = "  flotilla " + group.get(0) + " " + sub;
                List<String> lines = examples.lines().filter(l -> l.startsWith("  flotilla ")).toList();
                assertThat(lines).as(group.get(0) + " " + sub).isNotEmpty()
                        .allMatch(l -> l.equals(runs) || l.startsWith(runs + " "));
            }
        }
    }
}
