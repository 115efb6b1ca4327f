package dev.flotilla.agent.boot;

import dev.flotilla.agent.storage.CrashableDurable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulatedBootControlTest extends BootControlContractTest {
    @Override
    BootEnv newEnv(Path dir, CrashableDurable durable) throws IOException {
        SimulatedEnv env = new SimulatedEnv(dir.resolve("bootenv"), durable);
        env.set(Map.of("boot_slot", "a", "upgrade_available", "0", "bootcount", "0"));
        return env;
    }

    @Test
    void commandRebooterRunsTheCommandAndFailsOnANonZeroExit() throws IOException {
        Path marker = dir.resolve("rebooted");
        EnvBootControl.command(List.of("touch", marker.toString())).reboot();
        assertThat(marker).exists();
        assertThatThrownBy(() -> EnvBootControl.command(List.of("false")).reboot())
                .isInstanceOf(IOException.class).hasMessageContaining("false exited 1");
    }

    @Test
    void aCommandLineWithoutTheSlotIsAConfigurationError() throws IOException {
        java.nio.file.Files.writeString(dir.resolve("cmdline"), "console=ttyS0 root=/dev/sda2\n");
        assertThatThrownBy(() -> control.activeSlot()).isInstanceOf(BootEnvException.class)
                .hasMessageContaining("flotilla.slot=");
    }
}
