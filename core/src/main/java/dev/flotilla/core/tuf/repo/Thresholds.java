package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Which keys may sign a role of a {@link Repository}, and whether enough did. */
final class Thresholds {
    private Thresholds() {
    }

    /** The key ids that may sign {@code role}; for root, the current and the previous root's root keys. */
    static List<String> allowedKeyIds(Repository repo, String role) {
        if ("root".equals(role)) {
            Set<String> ids = new LinkedHashSet<>(repo.root().signed().role("root").keyids());
            List<Metadata<Root>> history = repo.rootHistory();
            if (history.size() > 1) {
                ids.addAll(history.get(history.size() - 2).signed().role("root").keyids());
            }
            return new ArrayList<>(ids);
        }
        return role(repo, role).keyids();
    }

    /** The role entry (keys and threshold) that governs {@code role}. */
    static Role role(Repository repo, String role) {
        String parent = repo.delegatorOf(role);
        if ("root".equals(parent)) {
            return repo.root().signed().role(role);
        }
        Delegations d = repo.targets(parent).signed().delegations();
        if (d == null) {
            throw new IllegalStateException("'" + parent + "' no longer delegates to '" + role + "'");
        }
        return d.roleFor(role).orElseThrow(() ->
                new IllegalStateException("'" + parent + "' no longer delegates to '" + role + "'"));
    }

    static void require(Repository repo, String role) {
        Metadata<? extends Signed> md = repo.metadata(role).orElseThrow(() ->
                new SigningException("no " + role + " metadata yet"));
        if ("root".equals(role)) {
            requireRoot(repo, md);
            return;
        }
        check(role, role(repo, role), repo, md);
    }

    private static void requireRoot(Repository repo, Metadata<? extends Signed> md) {
        Root root = repo.root().signed();
        check("root version " + root.version(), root.role("root"), root, md);
        List<Metadata<Root>> history = repo.rootHistory();
        if (history.size() > 1) {
            Root previous = history.get(history.size() - 2).signed();
            check("root version " + root.version() + " (by the keys of root version " + previous.version() + ")",
                    previous.role("root"), previous, md);
        }
    }

    private static void check(String what, Role role, Repository repo, Metadata<? extends Signed> md) {
        String parent = repo.delegatorOf(what);
        if ("root".equals(parent)) {
            check(what, role, repo.root().signed(), md);
            return;
        }
        try {
            Metadata.verifyThreshold(what, role, repo.delegatorKeys(what), md);
        } catch (RepositoryError e) {
            throw new SigningException(e.getMessage());
        }
    }

    private static void check(String what, Role role, Root keysFrom, Metadata<? extends Signed> md) {
        try {
            Metadata.verifyThreshold(what, role, keysFrom.keys(), md);
        } catch (RepositoryError e) {
            throw new SigningException(e.getMessage());
        }
    }
}
