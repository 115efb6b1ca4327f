package dev.flotilla.server.errors;

/**
 * A request a service refuses, saying whose fault it is without knowing HTTP: the caller's data is
 * {@link Invalid}, the thing named does not exist ({@link NotFound}), or the request conflicts with the
 * current state ({@link Conflict}). {@code code} is a stable machine-readable word; the message is for people
 * and names the offending field or value. The HTTP edge ({@code http.ErrorMapping}) maps them to 400, 404 and
 * 409.
 */
public abstract sealed class DomainError extends RuntimeException
        permits DomainError.Invalid, DomainError.NotFound, DomainError.Conflict {
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
}
