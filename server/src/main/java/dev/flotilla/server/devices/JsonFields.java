package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.server.errors.DomainError;

import java.util.Optional;

/**
 * Typed reading of one JSON object a device sent (a manifest, an event). A missing, mistyped or too long
 * field throws {@link DomainError.Invalid} {@code invalid_request} naming the field, in the same words as the
 * routes' reading of request bodies, so a device gets the same answer whichever side reads a field.
 */
record JsonFields(ObjectNode node) {
    static final String CODE = "invalid_request";

    /** {@code node} as an object; {@code what} names it in the refusal. */
    static JsonFields of(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw invalid(what + " must be a JSON object");
        }
        return new JsonFields((ObjectNode) node);
    }

    /**
     * {@code value} when it has at most {@code max} characters.
     *
     * @throws DomainError.Invalid {@code invalid_request} naming {@code field} and the limit otherwise
     */
    static String text(String field, String value, int max) {
        if (value != null && value.length() > max) {
            throw invalid("field '" + field + "' is longer than " + max + " characters");
        }
        return value;
    }

    static DomainError.Invalid invalid(String message) {
        return new DomainError.Invalid(CODE, message);
    }

    String string(String field) {
        return optString(field).orElseThrow(() -> invalid("missing string field '" + field + "'"));
    }

    /** A required string of at most {@code max} characters. */
    String string(String field, int max) {
        return text(field, string(field), max);
    }

    Optional<String> optString(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual() || v.textValue().isBlank()) {
            throw invalid("field '" + field + "' must be a non-empty string");
        }
        return Optional.of(v.textValue());
    }

    Optional<Long> optLong(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw invalid("field '" + field + "' must be an integer");
        }
        return Optional.of(v.longValue());
    }

    ObjectNode object(String field) {
        return optObject(field).orElseThrow(() -> invalid("missing object field '" + field + "'"));
    }

    Optional<ObjectNode> optObject(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw invalid("field '" + field + "' must be an object");
        }
        return Optional.of((ObjectNode) v);
    }

    JsonNode required(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw invalid("missing field '" + field + "'");
        }
        return v;
    }
}
