package dev.flotilla.server.devices;

import org.jdbi.v3.core.Handle;

import java.util.Optional;

/** Where check-in finds a device's current assignment (the signed director envelope). */
public interface AssignmentSource {
    /** A signed assignment envelope (JSON text) and the hash of its bytes (part of the check-in ETag). */
    record Current(String envelopeJson, String hash) {
    }

    /** The device's assignment still to act on, re-signed when it is close to expiry. */
    Optional<Current> current(Handle h, String deviceId);

    /** No assignments (before deployments exist). */
    AssignmentSource NONE = (h, d) -> Optional.empty();
}
