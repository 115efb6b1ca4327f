package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;

/**
 * Checks the director's signature over an assignment (by the director key the trusted root lists) and
 * returns what it claims. Matching the claim to the TUF-verified targets is not this interface's job
 * ({@link TufAssignmentVerification} does that).
 */
@FunctionalInterface
public interface DirectorVerifier {
    /**
     * @param assignment the check-in answer's {@code assignment} as sent
     * @param deviceId   this device
     * @param root       the trusted root after the last refresh
     * @throws AssignmentRefused when the signature, the device or the format is wrong
     */
    DirectorClaim verify(JsonNode assignment, String deviceId, Metadata<Root> root) throws AssignmentRefused;
}
