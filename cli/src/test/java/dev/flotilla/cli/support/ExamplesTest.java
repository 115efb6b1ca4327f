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
                List.of("release", "sign", "publish", "list", "show", "download", "refresh", "delete"),
                List.of("trust", "init", "rotate", "sign", "publish", "status"),
                List.of("keys", "generate"),
                List.of("bench", "verify", "refresh", "agent-install", "agent-footprint", "checkin", "rollout",
                        "retention", "fleet", "dashboard"));
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

    @Test
    void everyOtherCommandEndsItsHelpWithExamplesOfItself() {
        for (List<String> command : List.of(List.of("server"), List.of("agent"), List.of("demo"), List.of("sim"),
                List.of("sim", "device"), List.of("tuf-client"), List.of("login"), List.of("logout"),
                List.of("completion"))) {
            List<Object> args = new java.util.ArrayList<>(command);
            args.add("--help");
            String help = CliRun.of(args.toArray()).out();
            assertThat(help).as(String.join(" ", command)).contains("Examples:");
            String runs = "  flotilla " + String.join(" ", command);
            List<String> lines = help.substring(help.indexOf("Examples:")).lines()
                    .filter(l -> l.startsWith("  flotilla ")).toList();
            assertThat(lines).as(String.join(" ", command)) // a follow-up command may come after it (login's)
                    .anyMatch(l -> l.equals(runs) || l.startsWith(runs + " "));
        }
    }
}
