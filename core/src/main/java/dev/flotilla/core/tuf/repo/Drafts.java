package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;

import java.time.Instant;
import java.util.Map;

/**
 * Builds the next unsigned version of a role. The versioning rule: editing metadata that already carries
 * a signature starts version + 1; editing an unsigned draft keeps its version (so several edits before
 * signing make one new version). Every new draft gets a fresh expiry.
 */
final class Drafts {
    private Drafts() {
    }

    static long nextVersion(Metadata<?> current) {
        if (current == null) {
            return 1;
        }
        return current.signatures().isEmpty() ? current.signed().version() : current.signed().version() + 1;
    }

    static Targets emptyTargets(Instant expires) {
        return new Targets(Signed.SPEC_VERSION, 1, expires, Map.of(), null, Map.of());
    }

    static Targets targets(Metadata<Targets> current, Instant expires, Map<String, TargetFile> files,
                           Delegations delegations) {
        Targets t = current.signed();
        return new Targets(t.specVersion(), nextVersion(current), expires, files, delegations, t.unrecognized());
    }

    /** Same content, next version, new expiry. */
    @SuppressWarnings("unchecked")
    static <T extends Signed> T bumped(Metadata<T> current, Instant expires) {
        long v = nextVersion(current);
        Signed s = current.signed();
        Signed next = switch (s) {
            case Root r -> new Root(r.specVersion(), v, expires, r.consistentSnapshot(), r.keys(), r.roles(),
                    r.unrecognized());
            case Targets t -> new Targets(t.specVersion(), v, expires, t.targets(), t.delegations(), t.unrecognized());
            case Snapshot sn -> new Snapshot(sn.specVersion(), v, expires, sn.meta(), sn.unrecognized());
            case Timestamp ts -> new Timestamp(ts.specVersion(), v, expires, ts.snapshotMeta(), ts.unrecognized());
        };
        return (T) next;
    }
}
