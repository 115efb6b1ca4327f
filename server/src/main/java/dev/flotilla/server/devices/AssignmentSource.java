package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import org.jdbi.v3.core.Handle;

import java.util.Optional;

/** Where check-in finds a device's current assignment (the signed director envelope). */
public interface AssignmentSource {
    /** A signed assignment envelope (JSON text) and the hash of its bytes (part of the check-in ETag). */
    record Current(String envelopeJson, String hash) {
    }

    /** The columns of a stored assignment row the idle check-in reads (in its one query). */
    record Stored(String status, String hash, long expiresAt) {
    }

    /** The device's assignment still to act on, re-signed when it is close to expiry. */
    Optional<Current> current(Handle h, String deviceId);

    /**
     * For the idle check-in path, from the stored row ({@code null} when the device has none): the current
     * assignment's hash, an empty string when the device has no assignment to act on, or
     * {@link Optional#empty()} when the full path must run (the assignment needs re-signing).
     */
    Optional<String> stateIfFresh(Stored stored);

    /**
     * Told, in the check-in's transaction, of a newly verified manifest of the device (its {@code signed}
     * part): what the device says it runs. Does nothing unless implemented.
     */
    default void manifestStored(Handle h, String deviceId, JsonNode manifest) {
    }
}
