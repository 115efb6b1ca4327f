package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.FileJson;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What each slot holds: written ({@code STATE/slots/<slot>.json}, through the storage seam) before the
 * first byte of an image goes into the slot. The running slot's record is therefore the running image
 * (a slot is only booted after its image was verified); a slot never written by the agent has none and
 * runs the factory image. The record is canonical JSON with the image's fields by name ({@code target},
 * {@code version}, {@code sha256}, {@code length}), as agents that bound it with Jackson wrote it.
 */
public final class SlotRecords {
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
        durable.replace(dir.resolve(slot + ".json"), CanonicalJson.encodeValid(JsonNodeFactory.instance.objectNode()
                .put("target", a.target()).put("version", a.version()).put("sha256", a.sha256())
                .put("length", a.length())));
    }

    public Optional<Image> of(String slot) throws IOException {
        Path f = dir.resolve(slot + ".json");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            JsonNode o = CanonicalJson.parseObject(Files.readAllBytes(f));
            return Optional.of(new Image(FileJson.text(o, "target"), FileJson.text(o, "version"),
                    FileJson.text(o, "sha256"), FileJson.number(o, "length")));
        } catch (JsonFormatException e) {
            throw new IOException(f + ": not a slot record this agent can read: " + e.getMessage(), e);
        }
    }
}
