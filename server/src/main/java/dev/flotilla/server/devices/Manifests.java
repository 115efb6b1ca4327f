package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Limits;

import java.util.List;

/**
 * The device's signed version manifest. Envelope: {@code {"signed": {...}, "signatures": [{"keyid",
 * "sig"}]}}, where {@code sig} is the hex signature of the device key over the canonical JSON of
 * {@code signed}. The manifest names its device and says what the device runs:
 * {@code deviceId, installedTarget, hashes, slot, securityVersion, trustedRootVersion, agentVersion,
 * bootState, healthState}, and optionally {@code trustedMetadataExpires}, {@code droppedReports},
 * {@code metadataFrozenSince} (an ISO-8601 instant: since when the TUF metadata the device holds has been
 * expired, i.e. the repository looks frozen to it) and {@code healthChecks}: the agent's last round of health
 * checks, {@code [{"name", "ok", "reasonCode"}]} (its {@code healthState} is then {@code ok}, {@code failing}
 * or {@code unknown}; other devices may send other values).
 */
final class Manifests {
    private static final List<String> REQUIRED_STRINGS = List.of("deviceId", "agentVersion", "bootState", "healthState");
    /** The most health checks a manifest may list. */
    static final int MAX_HEALTH_CHECKS = 64;

    private Manifests() {
    }

    /**
     * Checks an envelope and returns its {@code signed} part.
     *
     * @throws DomainError.Invalid   {@code invalid_request} when fields are missing or mistyped, the signed part
     *                               holds a fractional number (canonical JSON has integers only) or the manifest
     *                               is longer than {@link Limits#JSON_TEXT} as stored; {@code bad_signature} when
     *                               no signature by the device key verifies
     * @throws DomainError.Forbidden {@code forbidden} when the manifest names another device
     */
    static ObjectNode verify(ObjectNode envelope, String deviceId, Key deviceKey) {
        JsonFields env = new JsonFields(envelope);
        ObjectNode signed = env.object("signed");
        JsonFields.text("signed", DeviceStore.json(signed), Limits.JSON_TEXT);
        JsonFields m = new JsonFields(signed);
        REQUIRED_STRINGS.forEach(m::string);
        m.optString("installedTarget");
        m.optString("slot");
        m.optObject("slots");
        m.optString("trustedMetadataExpires");
        m.optString("metadataFrozenSince").ifPresent(Manifests::requireInstant);
        m.optObject("hashes");
        healthChecks(signed.get("healthChecks"));
        if (m.optLong("securityVersion").isEmpty() || m.optLong("trustedRootVersion").isEmpty()) {
            throw JsonFields.invalid("manifest needs integer securityVersion and trustedRootVersion");
        }
        if (!deviceId.equals(m.string("deviceId"))) {
            throw new DomainError.Forbidden("forbidden", "the manifest names another device");
        }
        JsonNode sigs = env.required("signatures");
        if (!sigs.isArray()) {
            throw JsonFields.invalid("signatures must be an array");
        }
        byte[] payload;
        try {
            payload = CanonicalJson.encode(signed);
        } catch (JsonFormatException e) {
            throw JsonFields.invalid("the manifest cannot be signed as canonical JSON (integers only): "
                    + e.getMessage());
        }
        String keyId = deviceKey.keyId();
        for (JsonNode s : sigs) {
            if (keyId.equals(s.path("keyid").asText()) && s.path("sig").isTextual()
                    && deviceKey.verify(hexOrEmpty(s.path("sig").textValue()), payload)) {
                return signed;
            }
        }
        throw new DomainError.Invalid("bad_signature", "no signature by the device key verifies over the manifest");
    }

    private static void requireInstant(String value) {
        try {
            java.time.Instant.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw JsonFields.invalid("manifest field 'metadataFrozenSince' must be an ISO-8601 instant, got '"
                    + value + "'");
        }
    }

    /** {@code healthChecks}, when present: at most {@link #MAX_HEALTH_CHECKS} {@code {"name", "ok", "reasonCode"}}. */
    private static void healthChecks(JsonNode checks) {
        if (checks == null) {
            return;
        }
        if (!checks.isArray() || checks.size() > MAX_HEALTH_CHECKS) {
            throw JsonFields.invalid("healthChecks must be an array of at most " + MAX_HEALTH_CHECKS + " checks");
        }
        for (JsonNode c : checks) {
            if (!c.isObject() || !c.path("name").isTextual() || !c.path("ok").isBoolean()
                    || !c.path("reasonCode").isTextual()) {
                throw JsonFields.invalid("each of healthChecks must be {\"name\": string, \"ok\": true or false, "
                        + "\"reasonCode\": string}");
            }
        }
    }

    private static byte[] hexOrEmpty(String hex) {
        try {
            return Hex.decode(hex);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }
}
