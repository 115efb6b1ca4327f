package dev.flotilla.core.json;

/** The bytes are not acceptable JSON (malformed, duplicate keys, or not encodable canonically). */
public class JsonFormatException extends RuntimeException {
    public JsonFormatException(String message) {
        super(message);
    }

    public JsonFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
