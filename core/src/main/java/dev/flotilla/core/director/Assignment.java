package dev.flotilla.core.director;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Signer;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Director metadata for one device: which target to install. Signed by the root's {@code director} role;
 * the envelope is {@code {"signed": ASSIGNMENT, "signatures": [{"keyid", "sig"}]}} with signatures over
 * the canonical JSON (OLPC) of {@code signed}:
 * <pre>{@code
 * {"_type": "flotilla-assignment", "deviceId": "...", "deploymentId": "...", "targetPath": "fw-1.2.bin",
 *  "length": 1234, "hashes": {"sha256": "..."}, "counter": 7, "issued": "2026-...Z", "expires": "2026-...Z",
 *  "forced": false}
 * }</pre>
 * {@code forced} is always written, so it is covered by the signatures; an assignment signed before the
 * field existed (no {@code forced} key) reads as {@code forced = false} and its signature still verifies,
 * because signatures are checked over the received {@code signed} object, not over a re-encoding.
 *
 * @param counter per-device, strictly increasing; a device accepts only a counter above the last it accepted
 * @param forced  install at once, ignoring the device's maintenance windows (the operator's choice at
 *                deployment time)
 */
public record Assignment(String deviceId, String deploymentId, String targetPath, long length,
                         Map<String, String> hashes, long counter, Instant issued, Instant expires,
                         boolean forced) {
    public static final String TYPE = "flotilla-assignment";

    /** An assignment that is not forced. */
    public Assignment(String deviceId, String deploymentId, String targetPath, long length,
                      Map<String, String> hashes, long counter, Instant issued, Instant expires) {
        this(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, false);
    }

    public Assignment {
        hashes = new TreeMap<>(hashes);
        if (hashes.isEmpty()) {
            throw new IllegalArgumentException("an assignment needs at least one hash");
        }
        if (length < 0 || counter < 1) {
            throw new IllegalArgumentException("length must be >= 0 and counter >= 1");
        }
        issued = issued.truncatedTo(ChronoUnit.SECONDS);
        expires = expires.truncatedTo(ChronoUnit.SECONDS);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("_type", TYPE);
        o.put("deviceId", deviceId);
        o.put("deploymentId", deploymentId);
        o.put("targetPath", targetPath);
        o.put("length", length);
        ObjectNode h = o.putObject("hashes");
        hashes.forEach(h::put);
        o.put("counter", counter);
        o.put("issued", issued.toString());
        o.put("expires", expires.toString());
        o.put("forced", forced);
        return o;
    }

    /**
     * Reads the {@code signed} part.
     *
     * @throws IllegalArgumentException when a field is missing or mistyped
     */
    public static Assignment fromJson(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("assignment must be an object");
        }
        if (!TYPE.equals(o.path("_type").asText(null))) {
            throw new IllegalArgumentException("_type must be " + TYPE);
        }
        JsonNode hashes = o.get("hashes");
        if (hashes == null || !hashes.isObject()) {
            throw new IllegalArgumentException("hashes must be an object");
        }
        Map<String, String> h = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = hashes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("hash values must be strings");
            }
            h.put(e.getKey(), e.getValue().textValue());
        }
        try {
            return new Assignment(text(o, "deviceId"), text(o, "deploymentId"), text(o, "targetPath"),
                    integer(o, "length"), h, integer(o, "counter"), Instant.parse(text(o, "issued")),
                    Instant.parse(text(o, "expires")), optionalBoolean(o, "forced"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("issued and expires must be ISO-8601 instants");
        }
    }

    /** The signed envelope of this assignment, signed by {@code signer}. */
    public ObjectNode sign(Signer signer) {
        ObjectNode signed = toJson();
        ObjectNode env = JsonNodeFactory.instance.objectNode();
        env.set("signed", signed);
        ObjectNode sig = env.putArray("signatures").addObject();
        sig.put("keyid", signer.keyId());
        sig.put("sig", Hex.encode(signer.sign(CanonicalJson.encode(signed))));
        return env;
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
            throw new IllegalArgumentException("'" + field + "' must be a non-empty string");
        }
        return v.textValue();
    }

    /** A boolean field that may be absent (false); present, it must be a JSON boolean. */
    private static boolean optionalBoolean(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("'" + field + "' must be true or false");
        }
        return v.booleanValue();
    }

    private static long integer(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException("'" + field + "' must be an integer");
        }
        return v.longValue();
    }
}
