package dev.flotilla.agent.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ToolTest {
    @Test
    void missingToolFailsNamingTheDebianPackage() {
        assertThatThrownBy(() -> Tool.run("libubootenv-tool", List.of("fw_printenv-not-installed-here")))
                .isInstanceOf(BootEnvException.class)
                .hasMessage("fw_printenv-not-installed-here not found: install the Debian package libubootenv-tool");
    }

    @Test
    void nonZeroExitFailsWithTheToolsOutput() {
        assertThatThrownBy(() -> Tool.run("coreutils", List.of("sh", "-c", "echo broken env; exit 2")))
                .isInstanceOf(BootEnvException.class).hasMessageContaining("exited 2: broken env");
    }

    @Test
    void returnsStandardOutput() throws Exception {
        assertThat(Tool.run("coreutils", List.of("echo", "boot_slot=a"))).isEqualTo("boot_slot=a\n");
    }
}
