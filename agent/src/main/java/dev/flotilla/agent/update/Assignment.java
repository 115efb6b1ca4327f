package dev.flotilla.agent.update;

/**
 * An update the device must install, already verified by the network side: the director's assignment
 * matched to a target in signed TUF metadata (length, hash, hardware id, version policy).
 *
 * @param id the assignment id (reported with every event)
 * @param target the TUF target path
 * @param version the image's version
 * @param length the signed length in bytes; the agent never writes more
 * @param sha256 the signed SHA-256 (hex) of the whole image
 * @param securityVersion the anti-rollback value; committed into the counter only after the health checks
 * @param forced install at once, ignoring the device's maintenance windows
 * @param counter the director's counter for this device: a new issue of an assignment (a new deployment, a
 *        retry, a re-signing) always has a higher one. The machine never starts an assignment whose counter
 *        is not above the one of the last assignment it finished ({@link StateStore.Finished}). 0 for a
 *        source without director counters (tests, benchmarks)
 */
public record Assignment(String id, String target, String version, long length, String sha256,
        long securityVersion, boolean forced, long counter) {

    /** An assignment that waits for the maintenance window, without a director counter. */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion) {
        this(id, target, version, length, sha256, securityVersion, false, 0);
    }

    /** An assignment without a director counter. */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion,
            boolean forced) {
        this(id, target, version, length, sha256, securityVersion, forced, 0);
    }

    /** Validates the fields. */
    public Assignment {
        if (length <= 0) {
            throw new IllegalArgumentException("an image has a positive length");
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
        }
    }
}
