package dev.flotilla.core.tuf.repo;

/**
 * The caller's keys do not fit: a key that may not sign a role, or fewer valid signatures than a
 * threshold needs. A configuration fault of whoever signs, never of the repository's data.
 */
public class SigningException extends RuntimeException {
    public SigningException(String message) {
        super(message);
    }
}
