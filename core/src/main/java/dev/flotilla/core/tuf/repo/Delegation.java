package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.tuf.DelegatedRole;
import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.SuccinctRoles;
import dev.flotilla.core.tuf.Targets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds delegations objects for {@link Repository}. */
final class Delegation {
    private Delegation() {
    }

    /** {@code current} (may be null) plus one ordered role at the end. */
    static Delegations append(Delegations current, String name, RoleKeys keys, List<String> paths, boolean terminating) {
        if (paths == null || paths.isEmpty()) {
            throw new IllegalArgumentException("a delegation needs at least one path pattern");
        }
        if (current != null && current.succinctRoles() != null) {
            throw new IllegalStateException("a role that delegates to hash bins cannot also delegate by path");
        }
        Map<String, Key> allKeys = new LinkedHashMap<>(current == null ? Map.of() : current.keys());
        allKeys.putAll(keys.byKeyId());
        List<DelegatedRole> roles = new ArrayList<>(current == null ? List.of() : current.roles());
        roles.add(DelegatedRole.withPaths(name, keys.keyids(), keys.threshold(), terminating, paths));
        return new Delegations(allKeys, roles, null, current == null ? Map.of() : current.unrecognized());
    }

    static Delegations hashBins(String namePrefix, int bitLength, RoleKeys keys) {
        SuccinctRoles succinct = new SuccinctRoles(keys.keyids(), keys.threshold(), bitLength, namePrefix, Map.of());
        return new Delegations(keys.byKeyId(), null, succinct, Map.of());
    }

    /** Whether {@code parent} delegates {@code path} to {@code role}. */
    static boolean trusts(Targets parent, String role, String path) {
        Delegations d = parent.delegations();
        if (d == null) {
            return false;
        }
        return d.childrenFor(path).stream().anyMatch(c -> c.name().equals(role));
    }
}
