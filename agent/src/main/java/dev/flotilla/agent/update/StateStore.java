package dev.flotilla.agent.update;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The persisted update state: one JSON file replaced atomically through the storage seam.
 *
 * @see Persisted
 */
public final class StateStore {
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /**
     * What is on disk.
     *
     * @param seq the number of the last transition (and of its event)
     * @param entries how many times the agent started in this state without progress (the loop guard)
     * @param state the state
     */
    public record Persisted(long seq, int entries, UpdateState state) {
    }

    private final Path file;
    private final Durable durable;

    public StateStore(Path file, Durable durable) {
        this.file = file;
        this.durable = durable;
    }

    /** The stored state, or IDLE at sequence 0 on a new device. */
    public Persisted load() throws IOException {
        if (!Files.exists(file)) {
            return new Persisted(0, 0, new UpdateState.Idle());
        }
        return JSON.readValue(Files.readAllBytes(file), Persisted.class);
    }

    /** Replaces the stored state atomically. */
    public void save(Persisted p) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        durable.replace(file, JSON.writeValueAsBytes(p));
    }
}
