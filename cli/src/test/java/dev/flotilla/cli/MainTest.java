package dev.flotilla.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Main#commandLine}: a start that names a subcommand builds only that one, and answers the same. */
class MainTest {
    @Test
    void aStartNamingASubcommandBuildsOnlyThatOne() {
        assertThat(Main.commandLine("server", "--port", "0").getSubcommands()).containsOnlyKeys("server");
        assertThat(Main.commandLine("devices", "list").getSubcommands()).containsOnlyKeys("devices", "device");
        assertThat(Main.commandLine("devices", "list").getSubcommands().get("devices").getSubcommands().keySet())
                .isEqualTo(new CommandLine(new Main()).getSubcommands().get("devices").getSubcommands().keySet());
    }

    @Test
    void anythingElseGetsTheFullTree() {
        int all = new CommandLine(new Main()).getSubcommands().size();
        assertThat(all).isGreaterThan(10);
        for (String[] args : List.of(new String[0], new String[]{"--help"}, new String[]{"help", "server"},
                new String[]{"no-such-command"}, new String[]{"-V"})) {
            assertThat(Main.commandLine(args).getSubcommands()).hasSize(all);
        }
    }

    @Test
    void everySubcommandAnswersHelpAndUsageErrorsAsUnderTheFullTree() {
        List<String> names = new ArrayList<>();
        for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
            if (c != CommandLine.HelpCommand.class) {
                names.add(c.getAnnotation(Command.class).name());
            }
        }
        assertThat(names).contains("server", "agent", "demo", "devices");
        for (String name : names) {
            for (String[] args : List.of(new String[]{name, "--help"}, new String[]{name, "--no-such-option"})) {
                assertThat(run(Main.commandLine(args), args)).as(String.join(" ", args))
                        .isEqualTo(run(new CommandLine(new Main()), args));
            }
        }
    }

    @Test
    void aSubcommandsHelpWithItsExamplesIsTheSameUnderTheOneCommandTree() {
        for (String[] args : List.of(new String[]{"rollout", "pause", "--help"}, new String[]{"devices", "list", "--help"},
                new String[]{"release", "publish", "--help"}, new String[]{"releases", "list", "--help"})) {
            List<String> partial = run(Main.commandLine(args), args);
            assertThat(partial).as(String.join(" ", args)).isEqualTo(run(new CommandLine(new Main()), args));
            assertThat(partial.get(1)).contains("Examples:", "  flotilla " + args[0].replace("releases", "release")
                    + " " + args[1]);
        }
    }

    @Test
    void versionAndTopLevelHelpAreUnchanged() {
        assertThat(run(Main.commandLine("--version"), "--version")).isEqualTo(List.of("0", "flotilla 0.1.0\n", ""));
        assertThat(run(Main.commandLine("--help"), "--help").get(1)).contains("server", "devices", "demo");
    }

    @Test
    void exitCodesAreTheDocumentedOnes() {
        assertThat(run(new CommandLine(new Main()), "--help").get(1))
                .contains("Exit codes").containsPattern("\\n  0 +done").containsPattern("\\n  1 +failed")
                .containsPattern("\\n  2 +usage error").containsPattern("\\n  78 +agent: configuration error");
        for (String[] usage : List.of(new String[]{"devices", "list", "--no-such-option"}, new String[]{"devices"},
                new String[]{"no-such-command"}, new String[]{"rollout", "show"}, new String[]{"rollout", "status"},
                new String[]{"completion"})) {
            assertThat(run(Main.commandLine(usage), usage).get(0)).as(String.join(" ", usage)).isEqualTo("2");
        }
        String[] failed = {"devices", "list", "--server", "not a url", "--token", "t"};
        List<String> run = run(Main.commandLine(failed), failed);
        assertThat(run.get(0)).isEqualTo("1");
        assertThat(run.get(2)).isEqualTo("flotilla: error: --server: not a URL: not a url\n");
    }

    private static List<String> run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return List.of(String.valueOf(code), out.toString(), err.toString());
    }

    @Test
    void anUnexpectedFailureOfACommandIsOneLineAndExitCodeOne() {
        // a bench is not a ToolCommand: its failures reach the command line's own handler
        CliRun run = CliRun.of("bench", "agent-install", "--size", "1k", "--dir", "/proc/flotilla-no-such-dir");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("flotilla: error: /proc/flotilla-no-such-dir").doesNotContain("\n")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }
}
