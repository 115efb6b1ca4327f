package dev.flotilla.agent.boot;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The U-Boot environment through {@code fw_printenv} / {@code fw_setenv} (Debian package libubootenv-tool).
 *
 * <p>Multi-variable changes use {@code fw_setenv -s SCRIPT} with {@code name=value} lines, which libubootenv
 * writes as one new environment copy (atomic with a redundant environment). That tool silently ignores
 * lines in another form and still exits 0, so every change is read back and compared.
 */
public final class UBootEnv implements BootEnv {
    static final String PACKAGE = "libubootenv-tool";
    private final Path config;
    private final Durable durable;

    /** @param config the {@code fw_env.config} naming the environment device or file */
    public UBootEnv(Path config, Durable durable) {
        this.config = config;
        this.durable = durable;
    }

    @Override
    public Map<String, String> read() throws IOException {
        return BootEnv.parseLines(Tool.run(PACKAGE, List.of("fw_printenv", "-c", config.toString())));
    }

    @Override
    public void set(Map<String, String> changes) throws IOException {
        StringBuilder script = new StringBuilder();
        for (Map.Entry<String, String> c : changes.entrySet()) {
            if (c.getKey().contains("=") || c.getValue().contains("\n")) {
                throw new IllegalArgumentException("cannot write variable " + c.getKey());
            }
            script.append(c.getKey()).append('=').append(c.getValue()).append('\n');
        }
        Path tmp = Files.createTempFile("fw_setenv", ".script");
        try {
            Files.writeString(tmp, script, StandardCharsets.UTF_8);
            durable.envChange("fw_setenv " + changes, () ->
                    Tool.run(PACKAGE, List.of("fw_setenv", "-c", config.toString(), "-s", tmp.toString())));
        } finally {
            Files.deleteIfExists(tmp);
        }
        verify(changes);
    }
}
