package dev.flotilla.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A request body parsed strictly (duplicate keys refused) with typed field access. A missing or mistyped
 * field throws {@link ApiException} 400 {@code invalid_request}; malformed JSON throws
 * {@link dev.flotilla.core.json.JsonFormatException}, which maps to 400 {@code malformed_json}.
 */
public record JsonBody(ObjectNode node) {
    /** Parses the body of a request; an oversize body has already been refused by Javalin (413). */
    public static JsonBody of(Context ctx) {
        return new JsonBody(CanonicalJson.parseObject(ctx.bodyAsBytes()));
    }

    public static JsonBody of(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw ApiException.invalid(what + " must be a JSON object");
        }
        return new JsonBody((ObjectNode) node);
    }

    public String string(String field) {
        return optString(field).orElseThrow(() -> ApiException.invalid("missing string field '" + field + "'"));
    }

    public Optional<String> optString(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual() || v.textValue().isBlank()) {
            throw ApiException.invalid("field '" + field + "' must be a non-empty string");
        }
        return Optional.of(v.textValue());
    }

    /** A required string of at most {@code max} characters ({@link Limits}). */
    public String string(String field, int max) {
        return Limits.text(field, string(field), max);
    }

    /** An optional string of at most {@code max} characters ({@link Limits}). */
    public Optional<String> optString(String field, int max) {
        return optString(field).map(v -> Limits.text(field, v, max));
    }

    public Optional<Long> optLong(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.invalid("field '" + field + "' must be an integer");
        }
        return Optional.of(v.longValue());
    }

    /** A boolean field; absent or null gives {@code fallback}. */
    public boolean optBoolean(String field, boolean fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid("field '" + field + "' must be true or false");
        }
        return v.booleanValue();
    }

    public ObjectNode object(String field) {
        return optObject(field).orElseThrow(() -> ApiException.invalid("missing object field '" + field + "'"));
    }

    public Optional<ObjectNode> optObject(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw ApiException.invalid("field '" + field + "' must be an object");
        }
        return Optional.of((ObjectNode) v);
    }

    public JsonNode required(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalid("missing field '" + field + "'");
        }
        return v;
    }

    /** A list of non-empty strings of at most {@code max} characters each (an absent field is an empty list). */
    public List<String> strings(String field, int max) {
        List<String> out = strings(field);
        out.forEach(v -> Limits.text(field, v, max));
        return out;
    }

    /** A list of non-empty strings (an absent field is an empty list). */
    public List<String> strings(String field) {
        JsonNode v = node.get(field);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw ApiException.invalid("field '" + field + "' must be an array of strings");
        }
        for (JsonNode e : v) {
            if (!e.isTextual() || e.textValue().isBlank()) {
                throw ApiException.invalid("field '" + field + "' must be an array of non-empty strings");
            }
            out.add(e.textValue());
        }
        return out;
    }
}
