package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.core.json.CanonicalJson;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The device's storage seam, passed through to another {@link Durable}, keeping the id of every event the
 * agent durably queued for the server (a rename into its report queue's folder): the device's own record
 * of what it reported, which the report compares with the server's event log.
 */
final class RecordingDurable implements Durable {
    private static final Pattern QUEUED = Pattern.compile("\\d{20}\\.json");
    private final Durable real;
    private final Path queueDir;
    private final Set<String> queued = ConcurrentHashMap.newKeySet();

    /** @param queueDir the agent's report queue folder ({@code <stateDir>/state/events}) */
    RecordingDurable(Durable real, Path queueDir) {
        this.real = real;
        this.queueDir = queueDir.toAbsolutePath().normalize();
    }

    /** The ids of the events this device queued. */
    Set<String> queuedEventIds() {
        return Set.copyOf(queued);
    }

    /** Whether the report queue is empty (every event acknowledged or dropped). */
    boolean queueEmpty() throws IOException {
        if (!Files.isDirectory(queueDir)) {
            return true;
        }
        try (var files = Files.list(queueDir)) {
            return files.noneMatch(f -> QUEUED.matcher(f.getFileName().toString()).matches());
        }
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        real.rename(from, to);
        Path target = to.toAbsolutePath().normalize();
        if (target.getParent() != null && target.getParent().equals(queueDir)
                && QUEUED.matcher(target.getFileName().toString()).matches()) {
            JsonNode event = CanonicalJson.mapper().readTree(Files.readAllBytes(target));
            queued.add(event.path("eventId").asText());
        }
    }

    @Override
    public void write(Path file, long offset, ByteBuffer data) throws IOException {
        real.write(file, offset, data);
    }

    @Override
    public void append(Path file, byte[] data) throws IOException {
        real.append(file, data);
    }

    @Override
    public void truncate(Path file, long size) throws IOException {
        real.truncate(file, size);
    }

    @Override
    public void fsync(Path file) throws IOException {
        real.fsync(file);
    }

    @Override
    public void delete(Path file) throws IOException {
        real.delete(file);
    }

    @Override
    public void envChange(String what, EnvAction action) throws IOException {
        real.envChange(what, action);
    }
}
