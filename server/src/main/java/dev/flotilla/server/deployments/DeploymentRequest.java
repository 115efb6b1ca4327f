package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Limits;

import java.util.Optional;
import java.util.stream.Stream;

/**
 * What an operator asks for when creating a deployment:
 * {@code {"target", "deviceId" | "group" | "tag", "forced"?, "allowEmpty"?}}; exactly one of {@code deviceId},
 * {@code group} and {@code tag} is given.
 *
 * @param forced     signed into each assignment: the device installs at once, ignoring its maintenance windows
 * @param allowEmpty accept a group or tag that has no active device of the release's hardware yet
 */
public record DeploymentRequest(String target, Optional<String> deviceId, Optional<String> group,
                                Optional<String> tag, boolean forced, boolean allowEmpty) {
    private static final String CODE = "invalid_request";

    /**
     * Reads a request. Fields other than these are ignored.
     *
     * @throws DomainError.Invalid {@code invalid_request} naming the field: {@code target} missing, a field of the
     *                             wrong type or an empty string, a group or tag longer than {@link Limits#NAME},
     *                             or not exactly one of {@code deviceId}, {@code group} and {@code tag}
     */
    public static DeploymentRequest parse(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new DomainError.Invalid(CODE, "body must be a JSON object");
        }
        String target = optString(json, "target")
                .orElseThrow(() -> new DomainError.Invalid(CODE, "missing string field 'target'"));
        Optional<String> deviceId = optString(json, "deviceId");
        Optional<String> group = optString(json, "group").map(v -> name("group", v));
        Optional<String> tag = optString(json, "tag").map(v -> name("tag", v));
        boolean forced = optBoolean(json, "forced");
        boolean allowEmpty = optBoolean(json, "allowEmpty");
        if (Stream.of(deviceId, group, tag).filter(Optional::isPresent).count() != 1) {
            throw new DomainError.Invalid(CODE, "give exactly one of 'deviceId', 'group' and 'tag'");
        }
        return new DeploymentRequest(target, deviceId, group, tag, forced, allowEmpty);
    }

    /** What the deployment names: {@code deviceId}, {@code group} or {@code tag}. */
    String column() {
        return deviceId.isPresent() ? "deviceId" : group.isPresent() ? "group" : "tag";
    }

    /** The device id, group or tag it names. */
    String value() {
        return deviceId.or(() -> group).or(() -> tag).orElseThrow();
    }

    /** For messages, e.g. {@code group 'lab'}. */
    String audience() {
        return (deviceId.isPresent() ? "device" : column()) + " '" + value() + "'";
    }

    private static Optional<String> optString(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual() || v.textValue().isBlank()) {
            throw new DomainError.Invalid(CODE, "field '" + field + "' must be a non-empty string");
        }
        return Optional.of(v.textValue());
    }

    private static String name(String field, String value) {
        if (value.length() > Limits.NAME) {
            throw new DomainError.Invalid(CODE, "field '" + field + "' is longer than " + Limits.NAME + " characters");
        }
        return value;
    }

    private static boolean optBoolean(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new DomainError.Invalid(CODE, "field '" + field + "' must be true or false");
        }
        return v.booleanValue();
    }
}
