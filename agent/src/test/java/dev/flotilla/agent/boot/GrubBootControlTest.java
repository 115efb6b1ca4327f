package dev.flotilla.agent.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.storage.CrashableDurable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract on a grubenv file, with the real grub-editenv. */
class GrubBootControlTest extends BootControlContractTest {
    Path grubenv;

    @Override
    BootEnv newEnv(Path dir, CrashableDurable durable) throws IOException {
        grubenv = dir.resolve("grubenv");
        GrubEnv env = new GrubEnv(grubenv, durable);
        env.set(Map.of("boot_slot", "a", "upgrade_available", "0", "bootcount", "0"));
        return env;
    }

    @Test
    void grubenvStaysOneKibibyteBlock() throws IOException {
        control.armTrial("b", 3);
        assertThat(Files.size(grubenv)).isEqualTo(1024);
        assertThat(Files.readString(grubenv)).startsWith("# GRUB Environment Block").contains("boot_slot=b");
    }
}
