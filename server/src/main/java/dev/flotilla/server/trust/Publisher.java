package dev.flotilla.server.trust;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.Timestamp;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Signs snapshot and timestamp with the online keys. Every publish runs in the caller's transaction under
 * the publish lock ({@link TufStore#lock}), reads the current versions from the database and inserts the
 * next ones, so two servers on one database never issue the same version twice or interleave.
 */
public final class Publisher {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
    /** Snapshot lifetime. */
    public static final Duration SNAPSHOT_EXPIRY = Duration.ofDays(7);
    /** Timestamp lifetime; it is refreshed when less than half of it remains. */
    public static final Duration TIMESTAMP_EXPIRY = Duration.ofDays(1);

    private final Jdbi jdbi;
    private final TufStore store;
    private final OnlineKeys keys;
    private final Clock clock;

    public Publisher(Jdbi jdbi, TufStore store, OnlineKeys keys, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Issues a new snapshot listing the current targets (version, length, sha256) and a new timestamp for
     * it. The caller holds the publish lock. Does nothing when no targets metadata exists yet.
     */
    public void publishSnapshotAndTimestamp(Handle h) {
        Optional<TufStore.Stored> targets = store.latest(h, "targets");
        if (targets.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        long snapshotVersion = store.latest(h, "snapshot").map(s -> s.version() + 1).orElse(1L);
        byte[] t = targets.get().bytes();
        MetaFile targetsMeta = new MetaFile(targets.get().version(), (long) t.length,
                Map.of("sha256", Digests.sha256Hex(t)), Map.of());
        Instant snapshotExpires = now.plus(SNAPSHOT_EXPIRY);
        Metadata<Snapshot> snapshot = Metadata.of(new Snapshot(Signed.SPEC_VERSION, snapshotVersion, snapshotExpires,
                Map.of("targets.json", targetsMeta), Map.of())).sign(keys.snapshot());
        byte[] s = snapshot.toBytes();
        store.insert(h, "snapshot", snapshotVersion, s, snapshotExpires, now.toEpochMilli());
        publishTimestamp(h, snapshotVersion, s);
    }

    private void publishTimestamp(Handle h, long snapshotVersion, byte[] snapshotBytes) {
        Instant now = clock.instant();
        long version = store.latest(h, "timestamp").map(x -> x.version() + 1).orElse(1L);
        MetaFile meta = new MetaFile(snapshotVersion, (long) snapshotBytes.length,
                Map.of("sha256", Digests.sha256Hex(snapshotBytes)), Map.of());
        Instant expires = now.plus(TIMESTAMP_EXPIRY);
        Metadata<Timestamp> ts = Metadata.of(new Timestamp(Signed.SPEC_VERSION, version, expires, meta, Map.of()))
                .sign(keys.timestamp());
        store.insert(h, "timestamp", version, ts.toBytes(), expires, now.toEpochMilli());
    }

    /**
     * Issues a new timestamp (and, when the snapshot itself is about to expire, a new snapshot) when less
     * than half of the current one's lifetime remains. Safe to run on every server at once.
     *
     * @return whether anything was issued
     */
    public boolean refreshIfDue() {
        return jdbi.inTransaction(h -> {
            store.lock(h);
            Optional<TufStore.Stored> ts = store.latest(h, "timestamp");
            Optional<TufStore.Stored> snap = store.latest(h, "snapshot");
            if (ts.isEmpty() || snap.isEmpty()) {
                return false;
            }
            Instant now = clock.instant();
            if (snap.get().expires().isBefore(now.plus(SNAPSHOT_EXPIRY.dividedBy(2)))) {
                publishSnapshotAndTimestamp(h);
                return true;
            }
            if (ts.get().expires().isBefore(now.plus(TIMESTAMP_EXPIRY.dividedBy(2)))) {
                publishTimestamp(h, snap.get().version(), snap.get().bytes());
                return true;
            }
            return false;
        });
    }

    /** {@link #refreshIfDue} for a scheduler: failures are logged, never thrown. */
    public void refreshQuietly() {
        try {
            if (refreshIfDue()) {
                LOG.info("issued a fresh timestamp");
            }
        } catch (RuntimeException e) {
            LOG.warn("timestamp refresh failed; will retry", e);
        }
    }
}
