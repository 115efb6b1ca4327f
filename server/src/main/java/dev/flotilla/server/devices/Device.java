package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A device in the inventory. Identity is its public key (TUF key form, {@code keyId} its TUF key id); the
 * server never holds a device's private key.
 *
 * @param status {@code active} or {@code decommissioned}
 */
public record Device(String id, String keyId, JsonNode publicKey, String hardwareId, String group,
                     List<String> tags, JsonNode attributes, String status, String createdAt, String lastSeenAt) {
    public static final String ACTIVE = "active";
    public static final String DECOMMISSIONED = "decommissioned";

    public boolean active() {
        return ACTIVE.equals(status);
    }
}
