package dev.flotilla.agent.storage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.JsonFormatException;

/**
 * Reads the fields of the agent's own JSON files (its state, queued events, slot records) as agents that bound
 * those files' records with Jackson read them: a missing or null field is null, 0 or false, and a field of the
 * wrong type is refused ({@link JsonFormatException} naming it).
 */
public final class FileJson {
    private FileJson() {
    }

    /** The object at {@code field}, or null when it is missing or null. */
    public static JsonNode object(JsonNode o, String field) {
        JsonNode v = present(o, field);
        if (v != null && !v.isObject()) {
            throw new JsonFormatException(field + ": not an object");
        }
        return v;
    }

    /** The string at {@code field}, or null. */
    public static String text(JsonNode o, String field) {
        JsonNode v = present(o, field);
        if (v != null && !v.isTextual()) {
            throw new JsonFormatException(field + ": not a string");
        }
        return v == null ? null : v.textValue();
    }

    /** The integer at {@code field}, or 0. */
    public static long number(JsonNode o, String field) {
        JsonNode v = present(o, field);
        if (v != null && (!v.isIntegralNumber() || !v.canConvertToLong())) {
            throw new JsonFormatException(field + ": not an integer");
        }
        return v == null ? 0 : v.longValue();
    }

    /** The boolean at {@code field}, or false. */
    public static boolean flag(JsonNode o, String field) {
        JsonNode v = present(o, field);
        if (v != null && !v.isBoolean()) {
            throw new JsonFormatException(field + ": not true or false");
        }
        return v != null && v.booleanValue();
    }

    private static JsonNode present(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v;
    }
}
