package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Snapshot metadata: the versions of targets metadata and every delegated role (keyed {@code ROLE.json}). */
public record Snapshot(String specVersion, long version, Instant expires, Map<String, MetaFile> meta,
                       Map<String, JsonNode> unrecognized) implements Signed {
    private static final Set<String> KNOWN = Set.of("_type", "spec_version", "version", "expires", "meta");

    public Snapshot {
        meta = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(meta));
        unrecognized = Map.copyOf(unrecognized);
    }

    @Override
    public String type() {
        return "snapshot";
    }

    /** The entry for a targets role, or null when the snapshot does not list it. */
    public MetaFile metaFor(String role) {
        return meta.get(role + ".json");
    }

    static Snapshot fromJson(ObjectNode o) {
        if (!"snapshot".equals(Json.string(o, "_type"))) {
            throw Json.malformed("expected _type snapshot");
        }
        Map<String, MetaFile> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = Json.object(o, "meta").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            meta.put(e.getKey(), MetaFile.fromJson(e.getValue()));
        }
        return new Snapshot(Json.string(o, "spec_version"), Json.positive(o, "version"), Json.instant(o, "expires"),
                meta, Json.unrecognized(o, KNOWN));
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Signed.header("snapshot", specVersion, version, expires);
        ObjectNode m = o.putObject("meta");
        meta.forEach((name, file) -> m.set(name, file.toJson()));
        Json.putAll(o, unrecognized);
        return o;
    }
}
