package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Root metadata: the keys and thresholds of the four top-level roles. */
public record Root(String specVersion, long version, Instant expires, boolean consistentSnapshot,
                   Map<String, Key> keys, Map<String, Role> roles, Map<String, JsonNode> unrecognized)
        implements Signed {
    public static final Set<String> TOP_LEVEL_ROLES = Set.of("root", "timestamp", "snapshot", "targets");
    private static final Set<String> KNOWN = Set.of("_type", "spec_version", "version", "expires",
            "consistent_snapshot", "keys", "roles");

    public Root {
        keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        roles = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(roles));
        unrecognized = Map.copyOf(unrecognized);
        for (String r : TOP_LEVEL_ROLES) {
            if (!roles.containsKey(r)) {
                throw Json.malformed("root lacks role '" + r + "'");
            }
        }
    }

    @Override
    public String type() {
        return "root";
    }

    /** The keys and threshold for a top-level role. */
    public Role role(String name) {
        Role r = roles.get(name);
        if (r == null) {
            throw new RepositoryError(RepositoryError.Reason.NOT_FOUND, "root has no role '" + name + "'");
        }
        return r;
    }

    static Root fromJson(ObjectNode o) {
        if (!"root".equals(Json.string(o, "_type"))) {
            throw Json.malformed("expected _type root");
        }
        Map<String, Key> keys = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = Json.object(o, "keys").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            keys.put(e.getKey(), Key.fromJson(e.getValue()));
        }
        Map<String, Role> roles = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = Json.object(o, "roles").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            roles.put(e.getKey(), Role.fromJson(e.getValue()));
        }
        JsonNode cs = o.get("consistent_snapshot");
        boolean consistent = cs != null && Json.bool(o, "consistent_snapshot");
        return new Root(Json.string(o, "spec_version"), Json.positive(o, "version"), Json.instant(o, "expires"),
                consistent, keys, roles, Json.unrecognized(o, KNOWN));
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Signed.header("root", specVersion, version, expires);
        o.put("consistent_snapshot", consistentSnapshot);
        ObjectNode k = o.putObject("keys");
        keys.forEach((id, key) -> k.set(id, key.toJson()));
        ObjectNode r = o.putObject("roles");
        roles.forEach((name, role) -> r.set(name, role.toJson()));
        Json.putAll(o, unrecognized);
        return o;
    }
}
