package dev.flotilla.core.crypto;

/** A key's type, scheme or encoding is not supported or is malformed. */
public class KeyFormatException extends RuntimeException {
    public KeyFormatException(String message) {
        super(message);
    }

    public KeyFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
