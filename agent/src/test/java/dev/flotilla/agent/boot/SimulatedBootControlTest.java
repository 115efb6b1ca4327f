package dev.flotilla.agent.boot;

import dev.flotilla.agent.storage.CrashableDurable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

class SimulatedBootControlTest extends BootControlContractTest {
    @Override
    BootEnv newEnv(Path dir, CrashableDurable durable) throws IOException {
        SimulatedEnv env = new SimulatedEnv(dir.resolve("bootenv"), durable);
        env.set(Map.of("boot_slot", "a", "upgrade_available", "0", "bootcount", "0"));
        return env;
    }
}
