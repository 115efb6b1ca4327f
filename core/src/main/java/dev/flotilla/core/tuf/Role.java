package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A top-level role in root: the key ids allowed to sign it and how many must. */
public record Role(List<String> keyids, int threshold, Map<String, JsonNode> unrecognized) {
    public Role {
        keyids = List.copyOf(keyids);
        unrecognized = Map.copyOf(unrecognized);
        if (threshold < 1) {
            throw Json.malformed("threshold must be >= 1, got " + threshold);
        }
        if (new LinkedHashSet<>(keyids).size() != keyids.size()) {
            throw Json.malformed("duplicate key ids in role");
        }
    }

    public Role(List<String> keyids, int threshold) {
        this(keyids, threshold, Map.of());
    }

    static Role fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "role");
        return new Role(keyids(o), (int) Json.positive(o, "threshold"),
                Json.unrecognized(o, Set.of("keyids", "threshold")));
    }

    static List<String> keyids(ObjectNode o) {
        JsonNode n = o.get("keyids");
        if (n == null || !n.isArray()) {
            throw Json.malformed("'keyids' must be an array");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode id : n) {
            if (!id.isTextual()) {
                throw Json.malformed("key ids must be strings");
            }
            ids.add(id.textValue());
        }
        return ids;
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        ArrayNode ids = o.putArray("keyids");
        keyids.forEach(ids::add);
        o.put("threshold", threshold);
        Json.putAll(o, unrecognized);
        return o;
    }
}
