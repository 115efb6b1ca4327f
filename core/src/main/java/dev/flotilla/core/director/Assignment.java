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
import java.util.Optional;
import java.util.TreeMap;

/**
 * Director metadata for one device: which target to install. Signed by the root's {@code director} role;
 * the envelope is {@code {"signed": ASSIGNMENT, "signatures": [{"keyid", "sig"}]}} with signatures over
 * the canonical JSON (OLPC) of {@code signed}:
 * <pre>{@code
 * {"_type": "flotilla-assignment", "deviceId": "...", "deploymentId": "...", "targetPath": "fw-1.2.bin",
 *  "length": 1234, "hashes": {"sha256": "..."}, "counter": 7, "issued": "2026-...Z", "expires": "2026-...Z",
 *  "forced": false, "withdrawn": false, "downloadOnly": false,
 *  "installWindow": {"cron": "0 2 * * *", "durationMinutes": 120, "zone": "Europe/Berlin"},
 *  "soakSeconds": 3600}
 * }</pre>
 * {@code forced}, {@code withdrawn} and {@code downloadOnly} are always written, {@code installWindow} whenever
 * there is one and {@code soakSeconds} whenever it is above 0, so they are covered by the signatures. An
 * assignment signed before a field existed (no such key) reads as {@code false} / no window / 0 and its
 * signature still verifies, because signatures are checked over the received {@code signed} object, not over
 * a re-encoding. A reader that does not know a field ignores it (this one ignores unknown keys too).
 *
 * @param counter       per-device, strictly increasing; a device accepts only a counter above the last it
 *                      accepted
 * @param forced        install at once, ignoring the device's maintenance windows and {@code installWindow}
 *                      (the operator's choice at deployment time)
 * @param withdrawn     the deployment {@code deploymentId} is withdrawn from this device: a device that holds
 *                      it and has not started installing it drops it; one that started finishes its trial
 * @param downloadOnly  download and verify the target, but do not install it until a later assignment for the
 *                      same target without this flag (it wins over {@code forced})
 * @param installWindow when the device may install (downloads happen any time), unless {@code forced}; empty:
 *                      no restriction beyond the device's own maintenance policy
 * @param soakSeconds   the soak time of the rollout stage that assigned it: how long after committing the
 *                      device's health still counts against the rollout, so the device keeps checking its health
 *                      at least that long; 0: none (a deployment, or a server that does not sign it)
 */
public record Assignment(String deviceId, String deploymentId, String targetPath, long length,
                         Map<String, String> hashes, long counter, Instant issued, Instant expires,
                         boolean forced, boolean withdrawn, boolean downloadOnly,
                         Optional<MaintenanceWindow> installWindow, long soakSeconds) {
    public static final String TYPE = "flotilla-assignment";

    /** An assignment without a soak time. */
    public Assignment(String deviceId, String deploymentId, String targetPath, long length,
                      Map<String, String> hashes, long counter, Instant issued, Instant expires, boolean forced,
                      boolean withdrawn, boolean downloadOnly, Optional<MaintenanceWindow> installWindow) {
        this(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, forced, withdrawn,
                downloadOnly, installWindow, 0);
    }

    /** An assignment that is not forced. */
    public Assignment(String deviceId, String deploymentId, String targetPath, long length,
                      Map<String, String> hashes, long counter, Instant issued, Instant expires) {
        this(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, false);
    }

    /** An assignment that is neither withdrawn nor download-only and has no install window. */
    public Assignment(String deviceId, String deploymentId, String targetPath, long length,
                      Map<String, String> hashes, long counter, Instant issued, Instant expires, boolean forced) {
        this(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, forced, false, false,
                Optional.empty());
    }

    /** This assignment with {@code withdrawn} set as given. */
    public Assignment withWithdrawn(boolean withdrawn) {
        return new Assignment(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, forced,
                withdrawn, downloadOnly, installWindow, soakSeconds);
    }

    /** This assignment with {@code downloadOnly} set as given. */
    public Assignment withDownloadOnly(boolean downloadOnly) {
        return new Assignment(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, forced,
                withdrawn, downloadOnly, installWindow, soakSeconds);
    }

    /** This assignment with the install window {@code window}, or none when it is null. */
    public Assignment withInstallWindow(MaintenanceWindow window) {
        return new Assignment(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, forced,
                withdrawn, downloadOnly, Optional.ofNullable(window), soakSeconds);
    }

    /** This assignment with the soak time {@code seconds} (0: none). */
    public Assignment withSoakSeconds(long seconds) {
        return new Assignment(deviceId, deploymentId, targetPath, length, hashes, counter, issued, expires, forced,
                withdrawn, downloadOnly, installWindow, seconds);
    }

    public Assignment {
        installWindow = installWindow == null ? Optional.empty() : installWindow;
        hashes = new TreeMap<>(hashes);
        if (hashes.isEmpty()) {
            throw new IllegalArgumentException("an assignment needs at least one hash");
        }
        if (length < 0 || counter < 1 || soakSeconds < 0) {
            throw new IllegalArgumentException("length and soakSeconds must be >= 0 and counter >= 1");
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
        o.put("withdrawn", withdrawn);
        o.put("downloadOnly", downloadOnly);
        installWindow.ifPresent(w -> o.set("installWindow", w.toJson()));
        if (soakSeconds > 0) {
            o.put("soakSeconds", soakSeconds);
        }
        return o;
    }

    /**
     * Reads the {@code signed} part.
     *
     * @throws IllegalArgumentException when a field is missing or mistyped, {@code soakSeconds} is negative, or
     *                                  {@code installWindow} is not a valid window (the message names the field,
     *                                  e.g. {@code installWindow.cron})
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
                    Instant.parse(text(o, "expires")), optionalBoolean(o, "forced"), optionalBoolean(o, "withdrawn"),
                    optionalBoolean(o, "downloadOnly"), window(o.get("installWindow")), soakSeconds(o));
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

    /** The optional {@code soakSeconds} (absent: 0); present, it must be a non-negative integer. */
    private static long soakSeconds(JsonNode o) {
        if (o.get("soakSeconds") == null) {
            return 0;
        }
        long s = integer(o, "soakSeconds");
        if (s < 0) {
            throw new IllegalArgumentException("'soakSeconds' must not be negative");
        }
        return s;
    }

    /** The optional {@code installWindow}; present, it must be a valid window. */
    private static Optional<MaintenanceWindow> window(JsonNode w) {
        if (w == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(MaintenanceWindow.fromJson(w));
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            boolean named = m.startsWith("cron:") || m.startsWith("durationMinutes:") || m.startsWith("zone:");
            throw new IllegalArgumentException("installWindow" + (named ? "." : ": ") + m, e);
        }
    }

    private static long integer(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException("'" + field + "' must be an integer");
        }
        return v.longValue();
    }
}
