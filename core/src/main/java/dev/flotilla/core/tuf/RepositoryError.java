package dev.flotilla.core.tuf;

/**
 * The repository (or whoever sits between it and the client) gave data that must not be trusted.
 * The {@link Reason} names the check that refused it; the message carries expected and actual values.
 */
public class RepositoryError extends RuntimeException {
    /** Which check refused the data. */
    public enum Reason {
        /** Not well-formed metadata: bad JSON, missing or mistyped fields, wrong {@code _type}. */
        MALFORMED,
        /** Fewer valid signatures than the role's threshold. */
        UNSIGNED,
        /** A version that must go up went down, or does not match what a newer role says. */
        BAD_VERSION,
        /** Same version as the trusted copy (not an attack; the trusted copy is kept). */
        EQUAL_VERSION,
        /** The metadata's expiry lies in the past by the client's clock. */
        EXPIRED,
        /** Length or hash differs from what a trusted role says. */
        LENGTH_OR_HASH_MISMATCH,
        /** A role or target the trusted metadata does not list. */
        NOT_FOUND,
        /** A step was taken out of order (e.g. snapshot before timestamp). */
        OUT_OF_ORDER,
        /** A limit such as the number of root rotations or delegations visited was exceeded. */
        LIMIT_EXCEEDED
    }

    private final Reason reason;

    public RepositoryError(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public RepositoryError(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public String getMessage() {
        return reason + ": " + super.getMessage();
    }
}
