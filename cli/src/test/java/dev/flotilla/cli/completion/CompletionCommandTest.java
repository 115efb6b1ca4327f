package dev.flotilla.cli.completion;

import dev.flotilla.cli.CliRun;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code flotilla completion}: a completion script naming the commands, subcommands and options. */
class CompletionCommandTest {
    @Test
    void bashScriptNamesTheSubcommandsAndOptions() {
        CliRun run = CliRun.of("completion", "bash");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_flotilla")
                .contains("devices", "rollout", "enrollment-tokens", "login", "logout", "completion")
                .contains("--server", "--token", "--json", "--hardware");
        // each noun's other form (a picocli alias) and its verbs complete too
        assertThat(run.out()).containsPattern("local commands=\"help server agent keys key trust release releases .*"
                        + " devices device deployments deployment rollout rollouts tokens token enrollment-tokens"
                        + " enrollment-token audit ")
                .contains("function _picocli_flotilla_release_show()", "function _picocli_flotilla_releases_show()",
                        "function _picocli_flotilla_device_show()", "function _picocli_flotilla_token_revoke()");
        assertThat(CliRun.of("completion", "zsh").out()).isEqualTo(run.out()).contains("ZSH_VERSION");
    }

    @Test
    void anUnknownShellIsOneLine() {
        CliRun run = CliRun.of("completion", "fish");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: unknown shell 'fish': give bash or zsh");
    }
}
