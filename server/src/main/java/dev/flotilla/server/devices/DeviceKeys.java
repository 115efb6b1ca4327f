package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyFormatException;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.server.errors.DomainError;

/** Validation of device public keys: TUF key objects of type Ed25519 or ECDSA P-256 only. */
final class DeviceKeys {
    private DeviceKeys() {
    }

    /** @throws DomainError.Invalid {@code invalid_key} when the key is malformed or of another type */
    static Key parse(JsonNode node) {
        try {
            Key key = Key.fromJson(node);
            KeyType type = key.type();
            if (type != KeyType.ED25519 && type != KeyType.ECDSA_P256) {
                throw new DomainError.Invalid("invalid_key", "device keys must be ed25519 or ecdsa-sha2-nistp256");
            }
            key.publicKey();
            return key;
        } catch (KeyFormatException | JsonFormatException | RepositoryError | IllegalArgumentException e) {
            throw new DomainError.Invalid("invalid_key", "publicKey is not a valid TUF key: " + e.getMessage());
        }
    }
}
