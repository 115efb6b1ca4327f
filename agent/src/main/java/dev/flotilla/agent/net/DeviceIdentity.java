package dev.flotilla.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.client.Updater;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The device's identity and first start: the Ed25519 device key ({@code STATE/device.pem}, mode 0600, made
 * by core's {@link KeyFiles}), the enrollment (device id stored in {@code STATE/device.json}), and the
 * trusted TUF root copied from the image into {@code STATE/metadata/root.json}. Every step is skipped when
 * its result exists, so a first start interrupted anywhere completes on the next one; the key is never
 * replaced once made.
 */
public final class DeviceIdentity {
    private final Path stateDir;
    private final Durable durable;
    private volatile boolean foundByProof;

    public DeviceIdentity(Path stateDir, Durable durable) {
        this.stateDir = stateDir;
        this.durable = durable;
    }

    public Path keyFile() {
        return stateDir.resolve("device.pem");
    }

    private Path idFile() {
        return stateDir.resolve("device.json");
    }

    /** Copies the shipped root into the metadata directory unless a trusted root is there already. */
    public void installTrustedRoot(Path shippedRoot, Path metadataDir) throws IOException {
        if (Files.exists(metadataDir.resolve("root.json"))) {
            return;
        }
        Updater.initialize(metadataDir, Files.readAllBytes(shippedRoot));
    }

    /** The device key, generated on the first call. */
    public KeySigner key() throws IOException {
        if (!Files.exists(keyFile())) {
            Files.createDirectories(stateDir);
            Files.deleteIfExists(stateDir.resolve("device.pub.json")); // a half-finished earlier attempt
            KeyFiles.generate(KeyType.ED25519, stateDir, "device");
        }
        return KeyFiles.loadSigner(keyFile());
    }

    /** The stored device id, if enrolled. */
    public Optional<String> deviceId() throws IOException {
        if (!Files.exists(idFile())) {
            return Optional.empty();
        }
        JsonNode n;
        try {
            n = CanonicalJson.parse(Files.readAllBytes(idFile()));
        } catch (JsonFormatException e) {
            throw new IOException(idFile() + ": " + e.getMessage(), e);
        }
        return Optional.of(n.path("id").asText());
    }

    /**
     * Enrolls when not yet enrolled and sets the client's identity. An enrollment may have gone through while
     * its answer was lost (a timeout): the retry is then refused, 409 (the key is enrolled, or was being
     * enrolled at that moment) or 401 {@code invalid_enrollment_token} (the token's last use was that very
     * enrollment). On such a refusal the device proves its key to learn the id it enrolled as
     * ({@link ServerClient#enrolledId}). When no device holds the key the 401 stands, and a 409 is an
     * {@link IOException} the agent retries.
     *
     * @throws IOException when enrollment fails (the agent retries later); a refusal names the server's code
     */
    public String ensureEnrolled(ServerClient client, Optional<String> enrollmentToken, String hardwareId)
            throws IOException {
        KeySigner key = key();
        Optional<String> id = deviceId();
        if (id.isEmpty()) {
            String newId = enroll(client, key, enrollmentToken, hardwareId);
            Files.createDirectories(stateDir);
            durable.replace(idFile(), CanonicalJson.encodeValid(JsonNodeFactory.instance.objectNode().put("id", newId)
                    .put("keyId", key.keyId())));
            id = Optional.of(newId);
        }
        client.identity(id.get(), key);
        return id.get();
    }

    /**
     * Whether the last {@link #ensureEnrolled} found the device by proving the key: the server had enrolled
     * it before, and that enrollment's answer never arrived.
     */
    public boolean foundByProof() {
        return foundByProof;
    }

    private String enroll(ServerClient client, KeySigner key, Optional<String> enrollmentToken, String hardwareId)
            throws IOException {
        ObjectNode attrs = JsonNodeFactory.instance.objectNode().put("agentVersion", AgentVersion.VALUE);
        try {
            return client.enroll(enrollmentToken.orElse(null), key.publicKey().toJson(), hardwareId, attrs);
        } catch (ServerClient.ServerRefusal refused) {
            boolean conflict = refused.status() == 409;
            if (!conflict && !"invalid_enrollment_token".equals(refused.code())) {
                throw refused;
            }
            try {
                String id = client.enrolledId(key);
                foundByProof = true;
                return id;
            } catch (ServerClient.ServerRefusal unproven) {
                if (!"invalid_proof".equals(unproven.code())) {
                    throw unproven;
                }
                if (conflict) {
                    throw new IOException("the server refused the enrollment (" + refused.code() + ") but holds "
                            + "no device with this key yet", refused);
                }
                throw refused;
            }
        }
    }
}
