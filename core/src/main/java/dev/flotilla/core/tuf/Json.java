package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Field access helpers for metadata parsing: every failure is a {@link RepositoryError} MALFORMED. */
final class Json {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final DateTimeFormatter EXPIRES = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'");

    private Json() {
    }

    static ObjectNode object(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || !n.isObject()) {
            throw malformed("'" + field + "' must be an object");
        }
        return (ObjectNode) n;
    }

    static ObjectNode asObject(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw malformed(what + " must be an object");
        }
        return (ObjectNode) n;
    }

    static String string(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || !n.isTextual()) {
            throw malformed("'" + field + "' must be a string");
        }
        return n.textValue();
    }

    static long integer(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw malformed("'" + field + "' must be an integer");
        }
        return n.longValue();
    }

    static long positive(JsonNode parent, String field) {
        long v = integer(parent, field);
        if (v < 1) {
            throw malformed("'" + field + "' must be >= 1, got " + v);
        }
        return v;
    }

    static long nonNegative(JsonNode parent, String field) {
        long v = integer(parent, field);
        if (v < 0) {
            throw malformed("'" + field + "' must be >= 0, got " + v);
        }
        return v;
    }

    static boolean bool(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || !n.isBoolean()) {
            throw malformed("'" + field + "' must be a boolean");
        }
        return n.booleanValue();
    }

    /** Parses an expiry; accepts RFC 3339 offsets and fractions, which some real repositories wrote. */
    static Instant instant(JsonNode parent, String field) {
        String s = string(parent, field);
        try {
            return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw malformed("'" + field + "' is not a date-time: " + s);
        }
    }

    static String formatInstant(Instant t) {
        return EXPIRES.format(t.truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
    }

    static Map<String, String> stringMap(JsonNode parent, String field) {
        ObjectNode o = object(parent, field);
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw malformed("'" + field + "." + e.getKey() + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Fields of {@code node} not in {@code known}, kept so that re-serialising loses nothing. */
    static Map<String, JsonNode> unrecognized(JsonNode node, Set<String> known) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!known.contains(e.getKey())) {
                out.put(e.getKey(), e.getValue().deepCopy());
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    static void putAll(ObjectNode target, Map<String, JsonNode> extra) {
        extra.forEach((k, v) -> target.set(k, v.deepCopy()));
    }

    static ObjectNode hashes(Map<String, String> hashes) {
        ObjectNode o = F.objectNode();
        hashes.forEach(o::put);
        return o;
    }

    static RepositoryError malformed(String message) {
        return new RepositoryError(RepositoryError.Reason.MALFORMED, message);
    }
}
