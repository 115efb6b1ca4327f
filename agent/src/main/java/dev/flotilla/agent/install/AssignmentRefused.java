package dev.flotilla.agent.install;

/** An assignment the device will not install; {@link #reason()} is the code reported to the server. */
public final class AssignmentRefused extends Exception {
    /** Why an assignment was refused. */
    public enum Reason {
        /** The director's signature could not be verified (or no verifier is wired). */
        DIRECTOR_SIGNATURE,
        /** The assignment names another device. */
        NOT_FOR_THIS_DEVICE,
        /** The assignment's counter is below one already accepted. */
        REPLAYED,
        /** The TUF metadata was refused (expired, bad signature, rollback, ...). */
        METADATA_REFUSED,
        /** The target is not in the signed targets metadata. */
        TARGET_NOT_SIGNED,
        /** The assignment's length or hashes differ from the signed target's. */
        LENGTH_OR_HASH_MISMATCH,
        /** The assignment itself is malformed. */
        MALFORMED,
        HARDWARE_MISMATCH,
        SECURITY_VERSION_TOO_LOW,
        INSTALLED_VERSION_TOO_LOW,
        /** The version is the one running (normal right after an update, until the server sees the manifest). */
        ALREADY_INSTALLED
    }

    private final Reason reason;

    public AssignmentRefused(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
