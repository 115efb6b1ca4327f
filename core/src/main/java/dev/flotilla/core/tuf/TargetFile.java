package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;

import java.util.Map;
import java.util.Set;

/**
 * A target entry: length, hashes and optional {@code custom} data (Flotilla puts firmware fields there,
 * see {@code dev.flotilla.core.firmware.FirmwareInfo}).
 */
public record TargetFile(long length, Map<String, String> hashes, ObjectNode custom,
                         Map<String, JsonNode> unrecognized) {
    public TargetFile {
        hashes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(hashes));
        unrecognized = Map.copyOf(unrecognized);
        if (length < 0) {
            throw Json.malformed("target length must be >= 0");
        }
        if (hashes.isEmpty()) {
            throw Json.malformed("target hashes must not be empty");
        }
        custom = custom == null ? null : custom.deepCopy();
    }

    /** A target for the given bytes, with a sha256 hash. */
    public static TargetFile of(byte[] data, ObjectNode custom) {
        return new TargetFile(data.length, Map.of("sha256", Digests.sha256Hex(data)), custom, Map.of());
    }

    static TargetFile fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "target");
        ObjectNode custom = null;
        if (o.has("custom")) {
            custom = Json.object(o, "custom");
        }
        return new TargetFile(Json.nonNegative(o, "length"), Json.stringMap(o, "hashes"), custom,
                Json.unrecognized(o, Set.of("length", "hashes", "custom")));
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.put("length", length);
        o.set("hashes", Json.hashes(hashes));
        if (custom != null) {
            o.set("custom", custom.deepCopy());
        }
        Json.putAll(o, unrecognized);
        return o;
    }

    /** The custom object, or an empty one. */
    @Override
    public ObjectNode custom() {
        return custom == null ? Json.F.objectNode() : custom.deepCopy();
    }

    /** The sha256 hash (hex) when listed, else null. */
    public String sha256() {
        return hashes.get("sha256");
    }

    /** Checks length and hashes of the complete target bytes. */
    public void verify(byte[] data, String what) {
        if (data.length != length) {
            throw new RepositoryError(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH,
                    what + ": expected length " + length + ", got " + data.length);
        }
        Hashes.verify(hashes, data, what);
    }

    /** Whether this entry and another describe the same bytes (same length, same hashes). */
    public boolean sameContentAs(TargetFile other) {
        return length == other.length && hashes.equals(other.hashes);
    }

    /** Verifies digests computed while streaming (algorithm to hex), with the number of bytes seen. */
    public void verifyDigests(long seenLength, Map<String, byte[]> digests, String what) {
        if (seenLength != length) {
            throw new RepositoryError(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH,
                    what + ": expected length " + length + ", got " + seenLength);
        }
        boolean any = false;
        for (Map.Entry<String, String> e : hashes.entrySet()) {
            byte[] d = digests.get(e.getKey());
            if (d != null) {
                any = true;
                Hashes.check(e.getKey(), e.getValue(), Hex.encode(d), what);
            }
        }
        if (!any) {
            throw new RepositoryError(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH,
                    what + ": no computed hash matches the listed algorithms " + hashes.keySet());
        }
    }
}
