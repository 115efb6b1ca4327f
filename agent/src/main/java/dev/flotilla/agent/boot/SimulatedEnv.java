package dev.flotilla.agent.boot;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulated bootloader's environment: a state file of {@code name=value} lines, replaced atomically
 * through the storage seam (temporary file, fsync, rename), so a power cut leaves the old or the new one.
 */
public final class SimulatedEnv implements BootEnv {
    private final Path file;
    private final Durable durable;

    public SimulatedEnv(Path file, Durable durable) {
        this.file = file;
        this.durable = durable;
    }

    @Override
    public Map<String, String> read() throws IOException {
        if (!Files.exists(file)) {
            return new TreeMap<>();
        }
        return BootEnv.parseLines(Files.readString(file, StandardCharsets.UTF_8));
    }

    @Override
    public void set(Map<String, String> changes) throws IOException {
        Map<String, String> env = read();
        env.putAll(changes);
        StringBuilder text = new StringBuilder();
        env.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        durable.replace(file, text.toString().getBytes(StandardCharsets.UTF_8));
        verify(changes);
    }
}
