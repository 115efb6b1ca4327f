package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The keys and thresholds of the four top-level roles: what a root version says. */
public record TopLevelKeys(RoleKeys root, RoleKeys targets, RoleKeys snapshot, RoleKeys timestamp) {
    /** The keys a root lists. */
    public static TopLevelKeys of(Root root) {
        return new TopLevelKeys(role(root, "root"), role(root, "targets"), role(root, "snapshot"),
                role(root, "timestamp"));
    }

    private static RoleKeys role(Root root, String name) {
        Role r = root.role(name);
        List<Key> keys = r.keyids().stream().map(id -> {
            Key k = root.keys().get(id);
            if (k == null) {
                throw new IllegalStateException("root lists key id " + id + " for " + name + " without its key");
            }
            return k;
        }).toList();
        return new RoleKeys(keys, r.threshold());
    }

    /** A copy with one role's keys replaced. */
    public TopLevelKeys with(String role, RoleKeys keys) {
        return switch (role) {
            case "root" -> new TopLevelKeys(keys, targets, snapshot, timestamp);
            case "targets" -> new TopLevelKeys(root, keys, snapshot, timestamp);
            case "snapshot" -> new TopLevelKeys(root, targets, keys, timestamp);
            case "timestamp" -> new TopLevelKeys(root, targets, snapshot, keys);
            default -> throw new IllegalArgumentException("not a top-level role: " + role);
        };
    }

    public RoleKeys forRole(String role) {
        return switch (role) {
            case "root" -> root;
            case "targets" -> targets;
            case "snapshot" -> snapshot;
            case "timestamp" -> timestamp;
            default -> throw new IllegalArgumentException("not a top-level role: " + role);
        };
    }

    /** A root with these keys, consistent_snapshot true. */
    Root toRoot(long version, Instant expires) {
        Map<String, Key> keys = new LinkedHashMap<>();
        Map<String, Role> roles = new LinkedHashMap<>();
        for (String name : List.of("root", "targets", "snapshot", "timestamp")) {
            RoleKeys rk = forRole(name);
            keys.putAll(rk.byKeyId());
            roles.put(name, new Role(rk.keyids(), rk.threshold()));
        }
        return new Root(Signed.SPEC_VERSION, version, expires, true, keys, roles, Map.of());
    }
}
