package dev.flotilla.core.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The delegations of a targets role: keys, then either ordered roles or TAP 15 succinct roles. */
public record Delegations(Map<String, Key> keys, List<DelegatedRole> roles, SuccinctRoles succinctRoles,
                          Map<String, JsonNode> unrecognized) {
    private static final Set<String> KNOWN = Set.of("keys", "roles", "succinct_roles");

    public Delegations {
        keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        roles = roles == null ? null : List.copyOf(roles);
        unrecognized = Map.copyOf(unrecognized);
        if ((roles == null) == (succinctRoles == null)) {
            throw Json.malformed("delegations need exactly one of roles, succinct_roles");
        }
        if (roles != null) {
            Set<String> names = new HashSet<>();
            for (DelegatedRole r : roles) {
                if (!names.add(r.name())) {
                    throw Json.malformed("duplicate delegated role '" + r.name() + "'");
                }
            }
        }
    }

    static Delegations fromJson(JsonNode node) {
        ObjectNode o = Json.asObject(node, "delegations");
        Map<String, Key> keys = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = Json.object(o, "keys").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            keys.put(e.getKey(), Key.fromJson(e.getValue()));
        }
        List<DelegatedRole> roles = null;
        if (o.has("roles")) {
            JsonNode arr = o.get("roles");
            if (!arr.isArray()) {
                throw Json.malformed("'roles' must be an array");
            }
            roles = new ArrayList<>();
            for (JsonNode r : arr) {
                roles.add(DelegatedRole.fromJson(r));
            }
        }
        SuccinctRoles succinct = o.has("succinct_roles") ? SuccinctRoles.fromJson(o.get("succinct_roles")) : null;
        return new Delegations(keys, roles, succinct, Json.unrecognized(o, KNOWN));
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        ObjectNode k = o.putObject("keys");
        keys.forEach((id, key) -> k.set(id, key.toJson()));
        if (roles != null) {
            ArrayNode r = o.putArray("roles");
            roles.forEach(role -> r.add(role.toJson()));
        } else {
            o.set("succinct_roles", succinctRoles.toJson());
        }
        Json.putAll(o, unrecognized);
        return o;
    }

    /** The keys and threshold for a delegated role name, if this delegates to it. */
    public Optional<Role> roleFor(String name) {
        if (roles != null) {
            return roles.stream().filter(r -> r.name().equals(name)).findFirst().map(DelegatedRole::asRole);
        }
        return succinctRoles.isDelegatedRole(name) ? Optional.of(succinctRoles.asRole()) : Optional.empty();
    }

    /** A child role to visit for a target path, with whether it terminates the search. */
    public record Child(String name, boolean terminating) {
    }

    /** The roles trusted for a target path, in delegation order. */
    public List<Child> childrenFor(String targetPath) {
        List<Child> out = new ArrayList<>();
        if (roles != null) {
            for (DelegatedRole r : roles) {
                if (r.isDelegatedPath(targetPath)) {
                    out.add(new Child(r.name(), r.terminating()));
                }
            }
        } else {
            out.add(new Child(succinctRoles.roleForTarget(targetPath), true));
        }
        return out;
    }
}
