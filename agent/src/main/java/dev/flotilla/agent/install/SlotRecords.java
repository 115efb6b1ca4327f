package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.update.Assignment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What each slot holds: written ({@code STATE/slots/<slot>.json}, through the storage seam) before the
 * first byte of an image goes into the slot. The running slot's record is therefore the running image
 * (a slot is only booted after its image was verified); a slot never written by the agent has none and
 * runs the factory image.
 */
public final class SlotRecords {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The image in a slot. */
    public record Image(String target, String version, String sha256, long length) {
    }

    private final Path dir;
    private final Durable durable;

    public SlotRecords(Path dir, Durable durable) {
        this.dir = dir;
        this.durable = durable;
    }

    public void record(String slot, Assignment a) throws IOException {
        Files.createDirectories(dir);
        durable.replace(dir.resolve(slot + ".json"),
                JSON.writeValueAsBytes(new Image(a.target(), a.version(), a.sha256(), a.length())));
    }

    public Optional<Image> of(String slot) throws IOException {
        Path f = dir.resolve(slot + ".json");
        return Files.exists(f) ? Optional.of(JSON.readValue(Files.readAllBytes(f), Image.class)) : Optional.empty();
    }
}
