package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/** Timestamp metadata: points at the current snapshot. */
public record Timestamp(String specVersion, long version, Instant expires, MetaFile snapshotMeta,
                        Map<String, JsonNode> unrecognized) implements Signed {
    private static final Set<String> KNOWN = Set.of("_type", "spec_version", "version", "expires", "meta");

    public Timestamp {
        unrecognized = Map.copyOf(unrecognized);
    }

    @Override
    public String type() {
        return "timestamp";
    }

    static Timestamp fromJson(ObjectNode o) {
        if (!"timestamp".equals(Json.string(o, "_type"))) {
            throw Json.malformed("expected _type timestamp");
        }
        ObjectNode meta = Json.object(o, "meta");
        if (meta.size() != 1 || !meta.has("snapshot.json")) {
            throw Json.malformed("timestamp meta must hold exactly 'snapshot.json'");
        }
        return new Timestamp(Json.string(o, "spec_version"), Json.positive(o, "version"), Json.instant(o, "expires"),
                MetaFile.fromJson(meta.get("snapshot.json")), Json.unrecognized(o, KNOWN));
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Signed.header("timestamp", specVersion, version, expires);
        o.putObject("meta").set("snapshot.json", snapshotMeta.toJson());
        Json.putAll(o, unrecognized);
        return o;
    }
}
