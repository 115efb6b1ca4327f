package dev.flotilla.agent.boot;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A GRUB environment block through {@code grub-editenv} (Debian package grub-common).
 *
 * <p>All variables of one change go into a single {@code grub-editenv FILE set a=1 b=2} call, which
 * rewrites the 1 KiB block once. Variables are never unset (an empty value means "not set"), and every
 * change is read back.
 */
public final class GrubEnv implements BootEnv {
    static final String PACKAGE = "grub-common";
    private final Path file;
    private final Durable durable;

    public GrubEnv(Path file, Durable durable) {
        this.file = file;
        this.durable = durable;
    }

    @Override
    public Map<String, String> read() throws IOException {
        if (!Files.exists(file)) {
            return new TreeMap<>();
        }
        return BootEnv.parseLines(Tool.run(PACKAGE, List.of("grub-editenv", file.toString(), "list")));
    }

    @Override
    public void set(Map<String, String> changes) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("grub-editenv", file.toString(), "set"));
        changes.forEach((k, v) -> cmd.add(k + "=" + v));
        durable.envChange("grub-editenv " + changes, () -> {
            if (!Files.exists(file)) {
                Tool.run(PACKAGE, List.of("grub-editenv", file.toString(), "create"));
            }
            Tool.run(PACKAGE, cmd);
        });
        verify(changes);
    }
}
