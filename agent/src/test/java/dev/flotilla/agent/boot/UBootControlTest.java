package dev.flotilla.agent.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.storage.CrashableDurable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract on a file-backed U-Boot environment, with the real fw_printenv / fw_setenv / mkenvimage. */
class UBootControlTest extends BootControlContractTest {
    Path config;

    @Override
    BootEnv newEnv(Path dir, CrashableDurable durable) throws IOException {
        Path text = dir.resolve("env.txt");
        Files.writeString(text, "boot_slot=a\nupgrade_available=0\nbootcount=0\n"
                + "altbootcmd=run flotilla_fallback\n");
        Path image = dir.resolve("uboot.env");
        Tool.run("u-boot-tools", List.of("mkenvimage", "-s", "0x4000", "-o", image.toString(), text.toString()));
        config = dir.resolve("fw_env.config");
        Files.writeString(config, image + " 0x0000 0x4000\n");
        return new UBootEnv(config, durable);
    }

    @Test
    void envChangeIsOneCountedOperationAndKeepsOtherVariables() throws IOException {
        long before = durable.operations();
        control.armTrial("b", 2);
        assertThat(durable.operations() - before).isEqualTo(1);
        assertThat(durable.log().get(durable.log().size() - 1)).startsWith("env fw_setenv");
        assertThat(new UBootEnv(config, durable).read()).containsEntry("altbootcmd", "run flotilla_fallback");
    }

    @Test
    void aChangeThatDoesNotStickFailsLoudly() {
        UBootEnv env = new UBootEnv(config, durable);
        // fw_setenv -s skips a line starting with '#' as a comment and still exits 0
        assertThatThrownBy(() -> env.set(Map.of("#bootcount", "7")))
                .isInstanceOf(BootEnvException.class)
                .hasMessageContaining("did not stick");
    }
}
