package dev.flotilla.server.errors;

/**
 * A request a service refuses, saying whose fault it is without knowing HTTP: the caller's data is
 * {@link Invalid} or {@link TooLarge}, the caller could not prove who it is ({@link Unauthenticated}) or may not
 * do this ({@link Forbidden}), the thing named does not exist ({@link NotFound}), or the request conflicts with
 * the current state ({@link Conflict}). {@code code} is a stable machine-readable word; the message is for
 * people and names the offending field or value. The HTTP edge ({@code http.ErrorMapping}) maps them to 400,
 * 413, 401, 403, 404 and 409.
 */
public abstract sealed class DomainError extends RuntimeException
        permits DomainError.Invalid, DomainError.TooLarge, DomainError.Unauthenticated, DomainError.Forbidden,
        DomainError.NotFound, DomainError.Conflict {
    private final String code;

    private DomainError(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** The caller's data is wrong (a field missing, out of range, unknown). */
    public static final class Invalid extends DomainError {
        public Invalid(String code, String message) {
            super(code, message);
        }
    }

    /** The thing named does not exist. */
    public static final class NotFound extends DomainError {
        public NotFound(String what) {
            super("not_found", what + " not found");
        }
    }

    /** The request conflicts with the current state (another rollout, a state that forbids the action). */
    public static final class Conflict extends DomainError {
        public Conflict(String code, String message) {
            super(code, message);
        }
    }

    /** The caller's data is larger than the server accepts. */
    public static final class TooLarge extends DomainError {
        public TooLarge(String message) {
            super("payload_too_large", message);
        }
    }

    /**
     * The caller did not prove who it is: a credential, proof or signature is missing, unknown, used, expired
     * or does not verify ({@code code} says which, e.g. {@code invalid_challenge}).
     */
    public static final class Unauthenticated extends DomainError {
        public Unauthenticated(String code, String message) {
            super(code, message);
        }
    }

    /** The caller is known but may not do this (its role, another device's data, a decommissioned device). */
    public static final class Forbidden extends DomainError {
        public Forbidden(String code, String message) {
            super(code, message);
        }
    }
}
