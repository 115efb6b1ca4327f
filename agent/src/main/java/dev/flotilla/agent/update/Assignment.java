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
 */
public record Assignment(String id, String target, String version, long length, String sha256,
        long securityVersion, boolean forced) {

    /** An assignment that waits for the maintenance window. */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion) {
        this(id, target, version, length, sha256, securityVersion, false);
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
