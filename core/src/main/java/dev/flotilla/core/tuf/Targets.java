package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Targets metadata (top-level or delegated): target entries and optional delegations. */
public record Targets(String specVersion, long version, Instant expires, Map<String, TargetFile> targets,
                      Delegations delegations, Map<String, JsonNode> unrecognized) implements Signed {
    private static final Set<String> KNOWN = Set.of("_type", "spec_version", "version", "expires", "targets",
            "delegations");

    public Targets {
        targets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targets));
        unrecognized = Map.copyOf(unrecognized);
    }

    @Override
    public String type() {
        return "targets";
    }

    static Targets fromJson(ObjectNode o) {
        if (!"targets".equals(Json.string(o, "_type"))) {
            throw Json.malformed("expected _type targets");
        }
        Map<String, TargetFile> targets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = Json.object(o, "targets").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            targets.put(e.getKey(), TargetFile.fromJson(e.getValue()));
        }
        Delegations delegations = o.has("delegations") ? Delegations.fromJson(o.get("delegations")) : null;
        return new Targets(Json.string(o, "spec_version"), Json.positive(o, "version"), Json.instant(o, "expires"),
                targets, delegations, Json.unrecognized(o, KNOWN));
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Signed.header("targets", specVersion, version, expires);
        ObjectNode t = o.putObject("targets");
        targets.forEach((path, file) -> t.set(path, file.toJson()));
        if (delegations != null) {
            o.set("delegations", delegations.toJson());
        }
        Json.putAll(o, unrecognized);
        return o;
    }
}
