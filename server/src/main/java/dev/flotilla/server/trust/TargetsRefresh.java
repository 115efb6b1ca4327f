package dev.flotilla.server.trust;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.Optional;

/**
 * Re-signed targets metadata without a new image ({@code flotilla release refresh}): the same targets and
 * delegations as the current version, signed offline again with a later expiry (or, after a root rotation,
 * with the new targets keys). Accepted under the same rules as a release's targets
 * ({@link TrustService#requireNextTargets}); then, in one transaction under the publish lock, the targets,
 * a new snapshot and timestamp, and the audit entry ({@code release.refresh}) are stored.
 */
public final class TargetsRefresh {
    private final Jdbi jdbi;
    private final TufStore store;
    private final TrustService trust;
    private final Publisher publisher;
    private final AuditLog audit;
    private final Clock clock;

    public TargetsRefresh(Jdbi jdbi, TufStore store, TrustService trust, Publisher publisher, AuditLog audit,
                          Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.trust = trust;
        this.publisher = publisher;
        this.audit = audit;
        this.clock = clock;
    }

    /** What an accepted refresh answers (and the audit log records before and after). */
    public record TargetsInfo(long version, String expires, int targets) {
        static TargetsInfo of(Targets t) {
            return new TargetsInfo(t.version(), t.expires().toString(), t.targets().size());
        }
    }

    /**
     * Stores re-signed targets metadata and re-publishes snapshot and timestamp. Nothing changes when a
     * check fails.
     *
     * @throws DomainError.Invalid {@code malformed_metadata}, {@code unsigned_metadata}, {@code expired_metadata},
     *                             {@code targets_changed}
     * @throws DomainError.Conflict {@code no_root}, {@code no_targets}, {@code bad_version}
     */
    public TargetsInfo refresh(byte[] body, Actor actor) {
        Metadata<Targets> md = TrustService.parse(body, Targets.class);
        return jdbi.inTransaction(h -> {
            store.lock(h);
            Targets next = md.signed();
            Targets current = trust.requireCurrentTargets(h, next, Optional.empty(), version -> "a refresh re-signs the "
                    + "current targets (version " + version + ") unchanged; add images with a release");
            trust.requireNextTargets(h, md);
            store.insert(h, "targets", next.version(), md.toBytes(), next.expires(), clock.millis());
            publisher.publishSnapshotAndTimestamp(h);
            TargetsInfo info = TargetsInfo.of(next);
            audit.record(h, actor, "release.refresh", "targets", Long.toString(next.version()),
                    TargetsInfo.of(current), info);
            return info;
        });
    }
}
