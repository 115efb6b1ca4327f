package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.Set;

/** A snapshot or timestamp entry for a metadata file: its version and, optionally, length and hashes. */
public record MetaFile(long version, Long length, Map<String, String> hashes, Map<String, JsonNode> unrecognized) {
    public MetaFile {
        hashes = hashes == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(hashes));
        unrecognized = Map.copyOf(unrecognized);
        if (version < 1) {
            throw Json.malformed("meta version must be >= 1");
        }
        if (length != null && length < 0) {
            throw Json.malformed("meta length must be >= 0");
        }
        if (hashes != null && hashes.isEmpty()) {
            throw Json.malformed("meta hashes must not be empty");
        }
    }

    public MetaFile(long version) {
        this(version, null, null, Map.of());
    }

    static MetaFile fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "meta entry");
        Long length = o.has("length") ? Json.nonNegative(o, "length") : null;
        Map<String, String> hashes = o.has("hashes") ? Json.stringMap(o, "hashes") : null;
        return new MetaFile(Json.positive(o, "version"), length, hashes,
                Json.unrecognized(o, Set.of("version", "length", "hashes")));
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.put("version", version);
        if (length != null) {
            o.put("length", length);
        }
        if (hashes != null) {
            o.set("hashes", Json.hashes(hashes));
        }
        Json.putAll(o, unrecognized);
        return o;
    }

    /**
     * Checks data against the length and hashes this entry lists (when it lists them).
     *
     * @throws RepositoryError LENGTH_OR_HASH_MISMATCH
     */
    public void verify(byte[] data, String what) {
        if (length != null && data.length != length) {
            throw new RepositoryError(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH,
                    what + ": expected length " + length + ", got " + data.length);
        }
        if (hashes != null) {
            Hashes.verify(hashes, data, what);
        }
    }
}
