package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.SignatureMemo;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The client's trusted metadata, per section 5 of the TUF specification. It accepts only bytes, verifies
 * them against what it already trusts, and only then stores them; it does no I/O and reads the time once.
 *
 * <p>Order: {@link #updateRoot} any number of times, then {@link #updateTimestamp}, {@link #updateSnapshot},
 * {@link #updateTargets} and {@link #updateDelegatedTargets}. Once a timestamp is accepted the root can no
 * longer change. A method that throws leaves the set as it was.
 */
public final class TrustedMetadataSet {
    private final Instant now;
    private final SignatureMemo memo;
    private Metadata<Root> root;
    private Metadata<Timestamp> timestamp;
    private Metadata<Snapshot> snapshot;
    private final Map<String, Metadata<Targets>> targets = new HashMap<>();
    /** For each loaded targets role, the delegators whose keys and threshold it was verified with. */
    private final Map<String, Set<String>> verifiedBy = new HashMap<>();

    /**
     * Starts from a locally trusted root, which must be signed by its own threshold (it may be expired:
     * a newer root can still replace it).
     *
     * @param now the single reference time for every expiry check of this refresh
     */
    public TrustedMetadataSet(byte[] rootBytes, Instant now) {
        this(rootBytes, now, SignatureMemo.NONE);
    }

    /**
     * As {@link #TrustedMetadataSet(byte[], Instant)}, skipping the signatures {@code memo} already found valid
     * (an {@link Updater} keeps one across its refreshes) and remembering the ones found valid now.
     */
    public TrustedMetadataSet(byte[] rootBytes, Instant now, SignatureMemo memo) {
        this.now = now;
        this.memo = memo;
        Metadata<Root> md = Metadata.fromBytes(rootBytes, Root.class);
        Metadata.verifyThreshold("root", md.signed().role("root"), md.signed().keys(), md, memo);
        this.root = md;
    }

    public Instant referenceTime() {
        return now;
    }

    public Metadata<Root> root() {
        return root;
    }

    public Optional<Metadata<Timestamp>> timestamp() {
        return Optional.ofNullable(timestamp);
    }

    public Optional<Metadata<Snapshot>> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    /** The loaded metadata of a targets role, whichever delegator it was verified through. */
    public Optional<Metadata<Targets>> targets(String role) {
        return Optional.ofNullable(targets.get(role));
    }

    /**
     * The loaded metadata of {@code role} for a search that reached it through {@code delegator}. A role
     * reached through two delegators (a diamond) is trusted for this path only when it also verifies with
     * this delegator's keys and threshold for it: metadata accepted through delegator A proves nothing about
     * what delegator B delegated.
     *
     * @return empty when the role is not loaded yet
     * @throws RepositoryError UNSIGNED when the loaded metadata does not meet {@code delegator}'s threshold,
     *                         NOT_FOUND when {@code delegator} does not delegate to {@code role}
     */
    public Optional<Metadata<Targets>> targetsFor(String role, String delegator) {
        Metadata<Targets> md = targets.get(role);
        if (md == null) {
            return Optional.empty();
        }
        Set<String> by = verifiedBy.get(role);
        if (!by.contains(delegator)) {
            verifyDelegate(role, delegator, md);
            by.add(delegator);
        }
        return Optional.of(md);
    }

    /**
     * Accepts the next root version: signed by the current root's threshold and by its own, and exactly one
     * version newer. Expiry is not checked here (an intermediate root may be expired).
     */
    public Metadata<Root> updateRoot(byte[] bytes) {
        if (timestamp != null) {
            throw new RepositoryError(Reason.OUT_OF_ORDER, "cannot update root after timestamp");
        }
        Metadata<Root> next = Metadata.fromBytes(bytes, Root.class);
        Metadata.verifyThreshold("root", root.signed().role("root"), root.signed().keys(), next, memo);
        long expected = root.signed().version() + 1;
        if (next.signed().version() != expected) {
            throw new RepositoryError(Reason.BAD_VERSION, "expected root version " + expected + ", got "
                    + next.signed().version());
        }
        Metadata.verifyThreshold("root", next.signed().role("root"), next.signed().keys(), next, memo);
        root = next;
        return next;
    }

    /**
     * Accepts timestamp metadata after the root is final. Refuses a root that is expired, a bad signature,
     * a lower version, or a lower snapshot version than trusted. The same version as trusted raises
     * EQUAL_VERSION (the caller keeps the trusted copy). An expired new timestamp is stored (so later
     * rollback checks use it) and then refused as EXPIRED.
     */
    public Metadata<Timestamp> updateTimestamp(byte[] bytes) {
        if (snapshot != null) {
            throw new RepositoryError(Reason.OUT_OF_ORDER, "cannot update timestamp after snapshot");
        }
        if (root.signed().isExpired(now)) {
            throw new RepositoryError(Reason.EXPIRED, "final root (version " + root.signed().version()
                    + ") expired at " + root.signed().expires());
        }
        Metadata<Timestamp> next = Metadata.fromBytes(bytes, Timestamp.class);
        Metadata.verifyThreshold("timestamp", root.signed().role("timestamp"), root.signed().keys(), next, memo);
        if (timestamp != null) {
            long have = timestamp.signed().version();
            long got = next.signed().version();
            if (got < have) {
                throw new RepositoryError(Reason.BAD_VERSION, "timestamp version went down: trusted " + have
                        + ", got " + got);
            }
            if (got == have) {
                throw new RepositoryError(Reason.EQUAL_VERSION, "timestamp version " + got + " already trusted");
            }
            long haveSnap = timestamp.signed().snapshotMeta().version();
            long gotSnap = next.signed().snapshotMeta().version();
            if (gotSnap < haveSnap) {
                throw new RepositoryError(Reason.BAD_VERSION, "snapshot version in timestamp went down: trusted "
                        + haveSnap + ", got " + gotSnap);
            }
        }
        timestamp = next;
        checkFinalTimestamp();
        return next;
    }

    private void checkFinalTimestamp() {
        if (timestamp.signed().isExpired(now)) {
            throw new RepositoryError(Reason.EXPIRED, "timestamp (version " + timestamp.signed().version()
                    + ") expired at " + timestamp.signed().expires());
        }
    }

    /**
     * Accepts snapshot metadata. Unless {@code trusted} (loaded from the client's own store), its length and
     * hashes must match the timestamp's entry. It must be signed by the snapshot role, and no targets role it
     * listed before may disappear or go down in version. The version must equal the timestamp's entry and
     * it must not be expired (checked last, after storing, like timestamp).
     */
    public Metadata<Snapshot> updateSnapshot(byte[] bytes, boolean trusted) {
        if (timestamp == null) {
            throw new RepositoryError(Reason.OUT_OF_ORDER, "cannot update snapshot before timestamp");
        }
        if (!targets.isEmpty()) {
            throw new RepositoryError(Reason.OUT_OF_ORDER, "cannot update snapshot after targets");
        }
        checkFinalTimestamp();
        MetaFile meta = timestamp.signed().snapshotMeta();
        if (!trusted) {
            meta.verify(bytes, "snapshot");
        }
        Metadata<Snapshot> next = Metadata.fromBytes(bytes, Snapshot.class);
        Metadata.verifyThreshold("snapshot", root.signed().role("snapshot"), root.signed().keys(), next, memo);
        if (snapshot != null) {
            for (Map.Entry<String, MetaFile> e : snapshot.signed().meta().entrySet()) {
                MetaFile now = next.signed().meta().get(e.getKey());
                if (now == null) {
                    throw new RepositoryError(Reason.BAD_VERSION, "snapshot no longer lists " + e.getKey());
                }
                if (now.version() < e.getValue().version()) {
                    throw new RepositoryError(Reason.BAD_VERSION, e.getKey() + " version went down: trusted "
                            + e.getValue().version() + ", got " + now.version());
                }
            }
        }
        snapshot = next;
        checkFinalSnapshot();
        return next;
    }

    private void checkFinalSnapshot() {
        if (snapshot.signed().isExpired(now)) {
            throw new RepositoryError(Reason.EXPIRED, "snapshot (version " + snapshot.signed().version()
                    + ") expired at " + snapshot.signed().expires());
        }
        long want = timestamp.signed().snapshotMeta().version();
        if (snapshot.signed().version() != want) {
            throw new RepositoryError(Reason.BAD_VERSION, "snapshot version " + snapshot.signed().version()
                    + " differs from timestamp's " + want);
        }
    }

    /** Accepts top-level targets metadata (delegated by root). */
    public Metadata<Targets> updateTargets(byte[] bytes) {
        return updateDelegatedTargets(bytes, "targets", "root");
    }

    /**
     * Accepts targets metadata for {@code role}, delegated by {@code delegator} (root for top-level targets).
     * Its length and hashes must match the snapshot's entry when listed, its signatures must meet the
     * delegator's threshold for it, its version must equal the snapshot's entry, and it must not be expired.
     */
    public Metadata<Targets> updateDelegatedTargets(byte[] bytes, String role, String delegator) {
        if (snapshot == null) {
            throw new RepositoryError(Reason.OUT_OF_ORDER, "cannot load targets before snapshot");
        }
        checkFinalSnapshot();
        MetaFile meta = snapshot.signed().metaFor(role);
        if (meta == null) {
            throw new RepositoryError(Reason.NOT_FOUND, "snapshot does not list role '" + role + "'");
        }
        meta.verify(bytes, role);
        Metadata<Targets> next = Metadata.fromBytes(bytes, Targets.class);
        verifyDelegate(role, delegator, next);
        if (next.signed().version() != meta.version()) {
            throw new RepositoryError(Reason.BAD_VERSION, role + " version " + next.signed().version()
                    + " differs from snapshot's " + meta.version());
        }
        if (next.signed().isExpired(now)) {
            throw new RepositoryError(Reason.EXPIRED, role + " (version " + next.signed().version()
                    + ") expired at " + next.signed().expires());
        }
        targets.put(role, next);
        verifiedBy.put(role, new HashSet<>(Set.of(delegator)));
        return next;
    }

    private void verifyDelegate(String role, String delegator, Metadata<Targets> md) {
        if ("root".equals(delegator)) {
            Metadata.verifyThreshold(role, root.signed().role(role), root.signed().keys(), md, memo);
            return;
        }
        Metadata<Targets> parent = targets.get(delegator);
        if (parent == null) {
            throw new RepositoryError(Reason.OUT_OF_ORDER, "delegator '" + delegator + "' is not loaded");
        }
        Delegations d = parent.signed().delegations();
        Role r = d == null ? null : d.roleFor(role).orElse(null);
        if (r == null) {
            throw new RepositoryError(Reason.NOT_FOUND, "'" + delegator + "' does not delegate to '" + role + "'");
        }
        Metadata.verifyThreshold(role, r, d.keys(), md, memo);
    }
}
