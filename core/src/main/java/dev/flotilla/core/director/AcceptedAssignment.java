package dev.flotilla.core.director;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.json.CanonicalJson;

import java.util.Optional;

/**
 * The replay rule for director assignments, the one every verifier applies ({@link AssignmentVerifier}, the
 * agent): a new assignment is accepted only when its counter is strictly above the highest accepted one.
 * The assignment accepted with that counter may be read again (the same counter and the same bytes): a
 * device that accepted it just before a power cut must still be able to start it, and whether it already
 * ended is the device's own record, not this rule's. Any other assignment with that counter is a replay.
 *
 * @param counter the highest accepted counter
 * @param digest  {@link #digest} of the assignment accepted with it; empty when unknown (then only a higher
 *                counter passes)
 */
public record AcceptedAssignment(long counter, String digest) {
    /** Nothing accepted yet: every counter passes. */
    public static final AcceptedAssignment NONE = new AcceptedAssignment(Long.MIN_VALUE, "");

    /** Only a counter above {@code counter} passes (the accepted assignment itself is not known). */
    public static AcceptedAssignment above(long counter) {
        return new AcceptedAssignment(counter, "");
    }

    /** The SHA-256 (hex) of the canonical JSON of an assignment as received. */
    public static String digest(JsonNode assignment) {
        return Digests.sha256Hex(CanonicalJson.encode(assignment));
    }

    /**
     * Why an assignment with {@code candidateCounter} and {@code candidateDigest} is a replay, or empty when
     * it may be accepted: it is new (a higher counter) or it is the accepted one read again.
     */
    public Optional<String> replay(long candidateCounter, String candidateDigest) {
        if (candidateCounter > counter) {
            return Optional.empty();
        }
        if (candidateCounter == counter && !digest.isEmpty() && digest.equals(candidateDigest)) {
            return Optional.empty();
        }
        return Optional.of("counter " + candidateCounter + " is not above the highest accepted " + counter
                + (candidateCounter == counter ? ", and this is not the assignment accepted with it" : ""));
    }
}
