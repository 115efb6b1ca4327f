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
        assertThat(CliRun.of("completion", "zsh").out()).isEqualTo(run.out()).contains("ZSH_VERSION");
    }

    @Test
    void anUnknownShellIsOneLine() {
        CliRun run = CliRun.of("completion", "fish");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: unknown shell 'fish': give bash or zsh");
    }
}
