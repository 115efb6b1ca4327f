package dev.flotilla.agent.update;

import dev.flotilla.core.director.MaintenanceWindow;

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
 * @param withdrawn the signed assignment withdraws deployment {@code id}: the machine drops it if it holds it
 *        and has not started installing it, and never starts it
 * @param downloadOnly download and verify, but do not install until a later assignment of the same image
 *        without this flag (wins over {@code forced})
 * @param installWindow the signed window in which installing is allowed unless {@code forced}; null: none
 * @param soakSeconds the signed soak time of the rollout stage that assigned it: after committing it, the
 *        machine watches the device's health at least this long ({@link UpdateMachine}); 0: none
 */
public record Assignment(String id, String target, String version, long length, String sha256,
        long securityVersion, boolean forced, long counter, boolean withdrawn, boolean downloadOnly,
        MaintenanceWindow installWindow, long soakSeconds) {

    /** An assignment without a soak time. */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion,
            boolean forced, long counter, boolean withdrawn, boolean downloadOnly, MaintenanceWindow installWindow) {
        this(id, target, version, length, sha256, securityVersion, forced, counter, withdrawn, downloadOnly,
                installWindow, 0);
    }

    /** An assignment that waits for the maintenance window, without a director counter. */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion) {
        this(id, target, version, length, sha256, securityVersion, false, 0);
    }

    /** An assignment without a director counter. */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion,
            boolean forced) {
        this(id, target, version, length, sha256, securityVersion, forced, 0);
    }

    /** An assignment to install (not withdrawn, not download-only, no signed window). */
    public Assignment(String id, String target, String version, long length, String sha256, long securityVersion,
            boolean forced, long counter) {
        this(id, target, version, length, sha256, securityVersion, forced, counter, false, false, null);
    }

    /** Whether {@code other} names the same image: the same target, length and SHA-256. */
    public boolean sameImage(Assignment other) {
        return target.equals(other.target) && length == other.length && sha256.equals(other.sha256);
    }

    /** Validates the fields. */
    public Assignment {
        if (length <= 0) {
            throw new IllegalArgumentException("an image has a positive length");
        }
        if (soakSeconds < 0) {
            throw new IllegalArgumentException("soakSeconds must not be negative");
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
        }
    }
}
