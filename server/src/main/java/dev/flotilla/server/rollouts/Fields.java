package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Strict reading of one JSON object of a rollout request: every error names the field by its path (e.g.
 * {@code plan.stages[1].percent}) and unknown fields are refused, so a misspelt option never passes silently.
 */
record Fields(JsonNode node, String path, String code) {
    /** The object at {@code path}; refuses a non-object and any field outside {@code known}. */
    static Fields of(JsonNode node, String path, String code, Set<String> known) {
        if (node == null || !node.isObject()) {
            throw new DomainError.Invalid(code, path + " must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new DomainError.Invalid(code, path + "." + f + " is not a known field (known: "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
        return new Fields(node, path, code);
    }

    String at(String field) {
        return path + "." + field;
    }

    DomainError.Invalid invalid(String field, String message) {
        return new DomainError.Invalid(code, at(field) + " " + message);
    }

    boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    JsonNode get(String field) {
        return node.get(field);
    }

    Optional<String> string(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        if (!v.isTextual() || v.textValue().isBlank()) {
            throw invalid(field, "must be a non-empty string");
        }
        return Optional.of(v.textValue());
    }

    Optional<Long> integer(String field, long min, long max) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw invalid(field, "must be an integer from " + min + " to " + max);
        }
        return Optional.of(v.longValue());
    }

    Optional<Double> number(String field, double min, double max, boolean minExclusive) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        double d = v.asDouble();
        if (!v.isNumber() || d > max || d < min || (minExclusive && d == min)) {
            throw invalid(field, "must be a number " + (minExclusive ? "above " : "from ") + min + " to " + max
                    + ", got " + v);
        }
        return Optional.of(d);
    }

    Optional<Boolean> bool(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        if (!node.get(field).isBoolean()) {
            throw invalid(field, "must be true or false");
        }
        return Optional.of(node.get(field).booleanValue());
    }

    /** A list of non-empty strings (absent: empty), at most {@code max} long, without duplicates. */
    List<String> strings(String field, int max) {
        if (!has(field)) {
            return List.of();
        }
        JsonNode v = node.get(field);
        if (!v.isArray() || v.size() > max) {
            throw invalid(field, "must be an array of at most " + max + " strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || e.textValue().isBlank()) {
                throw invalid(field, "must be an array of non-empty strings");
            }
            if (out.contains(e.textValue())) {
                throw invalid(field, "names '" + e.textValue() + "' twice");
            }
            out.add(e.textValue());
        }
        return out;
    }
}
