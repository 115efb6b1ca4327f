package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The repository side of TUF: the current metadata of every role, edited and signed in memory. No I/O;
 * {@link RepositoryLayout} writes it to (and reads it from) a consistent-snapshot directory.
 *
 * <p>Every edit produces an unsigned draft (versioning rule in {@link Drafts}: editing signed metadata
 * starts version + 1, editing a draft keeps its version; the expiry is reset by {@link ExpiryPolicy}).
 * {@link #sign} adds signatures and may be called several times with different signers (e.g. the old
 * and the new root keys); {@link #requireSigned} checks thresholds. Offline roles (root, targets) are
 * signed by people through the CLI, online roles (snapshot, timestamp) by the server: both use this
 * class. Not thread-safe.
 */
public final class Repository {
    private final Clock clock;
    private final ExpiryPolicy expiry;
    private final List<Metadata<Root>> roots;
    private final Map<String, Metadata<Targets>> targetsRoles;
    private final Map<String, String> parents;
    private final Map<String, StagedTarget> staged = new LinkedHashMap<>();
    private Metadata<Snapshot> snapshot;
    private Metadata<Timestamp> timestamp;

    /** A target whose bytes still have to be written to the repository directory. */
    public record StagedTarget(String path, TargetFile file, TargetContent content) {
    }

    Repository(Clock clock, ExpiryPolicy expiry, List<Metadata<Root>> roots, Map<String, Metadata<Targets>> targetsRoles,
               Map<String, String> parents, Metadata<Snapshot> snapshot, Metadata<Timestamp> timestamp) {
        this.clock = clock;
        this.expiry = expiry;
        this.roots = new ArrayList<>(roots);
        this.targetsRoles = new LinkedHashMap<>(targetsRoles);
        this.parents = new LinkedHashMap<>(parents);
        this.snapshot = snapshot;
        this.timestamp = timestamp;
    }

    /** A new repository: unsigned root version 1 (consistent snapshots) and empty targets version 1. */
    public static Repository create(TopLevelKeys keys, Clock clock, ExpiryPolicy expiry) {
        Instant now = clock.instant();
        Metadata<Root> root = Metadata.of(keys.toRoot(1, now.plus(expiry.root())));
        Metadata<Targets> targets = Metadata.of(Drafts.emptyTargets(now.plus(expiry.targets())));
        return new Repository(clock, expiry, List.of(root), Map.of("targets", targets), Map.of(), null, null);
    }

    // ---- reading ----

    public Metadata<Root> root() {
        return roots.getLast();
    }

    /** Every root version, oldest first (version 1 at index 0). */
    public List<Metadata<Root>> rootHistory() {
        return List.copyOf(roots);
    }

    public TopLevelKeys topLevelKeys() {
        return TopLevelKeys.of(root().signed());
    }

    /** @throws IllegalArgumentException when there is no such targets role */
    public Metadata<Targets> targets(String role) {
        Metadata<Targets> md = targetsRoles.get(role);
        if (md == null) {
            throw new IllegalArgumentException("no targets role '" + role + "'");
        }
        return md;
    }

    /** {@code targets} followed by every delegated role, in delegation order. */
    public List<String> targetsRoleNames() {
        return List.copyOf(targetsRoles.keySet());
    }

    /** The role that delegates to {@code role} ({@code root} for top-level roles). */
    public String delegatorOf(String role) {
        return parents.getOrDefault(role, "root");
    }

    public Optional<Metadata<Snapshot>> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    public Optional<Metadata<Timestamp>> timestamp() {
        return Optional.ofNullable(timestamp);
    }

    /** The current metadata of any role, if it exists. */
    public Optional<Metadata<? extends Signed>> metadata(String role) {
        return switch (role) {
            case "root" -> Optional.of(root());
            case "snapshot" -> Optional.ofNullable(snapshot);
            case "timestamp" -> Optional.ofNullable(timestamp);
            default -> Optional.ofNullable(targetsRoles.get(role));
        };
    }

    /** Targets whose bytes have not been written yet, by target path. */
    public Map<String, StagedTarget> stagedTargets() {
        return Map.copyOf(staged);
    }

    void clearStaged() {
        staged.clear();
    }

    Instant expiresFor(String role) {
        return clock.instant().plus(expiry.forRole(role));
    }

    // ---- root ----

    /**
     * Starts a new root version with these keys. It must be signed by the new root keys and the previous
     * root's keys, each to its threshold (see {@link #requireSigned}).
     */
    public void rotateRoot(TopLevelKeys keys) {
        Metadata<Root> current = root();
        Root next = keys.toRoot(Drafts.nextVersion(current), expiresFor("root"));
        if (current.signatures().isEmpty()) {
            roots.removeLast();
        }
        roots.add(Metadata.of(next));
    }

    // ---- targets ----

    /**
     * Adds or replaces a target in a targets role; {@code content} (may be null for metadata only) is
     * written by {@link RepositoryLayout#write}.
     *
     * @throws IllegalArgumentException for an invalid path or one the role is not trusted for
     */
    public void addTarget(String role, String path, TargetFile file, TargetContent content) {
        Names.checkTargetPath(path);
        Metadata<Targets> md = targets(role);
        if (!"targets".equals(role) && !Delegation.trusts(targets(delegatorOf(role)).signed(), role, path)) {
            throw new IllegalArgumentException("role '" + role + "' is not trusted for target path '" + path + "'");
        }
        Map<String, TargetFile> files = new LinkedHashMap<>(md.signed().targets());
        files.put(path, file);
        put(role, Drafts.targets(md, expiresFor(role), files, md.signed().delegations()));
        if (content != null) {
            staged.put(path, new StagedTarget(path, file, content));
        }
    }

    /** Removes a target entry (its bytes stay on disk for clients still on older metadata). */
    public boolean removeTarget(String role, String path) {
        Metadata<Targets> md = targets(role);
        if (!md.signed().targets().containsKey(path)) {
            return false;
        }
        Map<String, TargetFile> files = new LinkedHashMap<>(md.signed().targets());
        files.remove(path);
        put(role, Drafts.targets(md, expiresFor(role), files, md.signed().delegations()));
        staged.remove(path);
        return true;
    }

    // ---- delegations ----

    /**
     * Appends a delegation from {@code parent} to a new role trusted for {@code paths} (glob patterns) and
     * creates the role's empty version 1. Role names may not contain {@code /}.
     */
    public void delegate(String parent, String name, RoleKeys keys, List<String> paths, boolean terminating) {
        Metadata<Targets> md = targets(parent);
        requireNewRoleName(name);
        Delegations d = Delegation.append(md.signed().delegations(), name, keys, paths, terminating);
        put(parent, Drafts.targets(md, expiresFor(parent), md.signed().targets(), d));
        addRole(name, parent);
    }

    /**
     * Delegates all of {@code parent}'s targets to {@code 2^bitLength} TAP 15 hash-bin roles named
     * {@code PREFIX-HEX}, sharing {@code keys}, and creates each bin's empty version 1.
     *
     * @throws IllegalStateException when {@code parent} already delegates
     */
    public void delegateHashBins(String parent, String namePrefix, int bitLength, RoleKeys keys) {
        Metadata<Targets> md = targets(parent);
        if (md.signed().delegations() != null) {
            throw new IllegalStateException("role '" + parent + "' already delegates; hash bins need a fresh delegator");
        }
        Delegations d = Delegation.hashBins(namePrefix, bitLength, keys);
        for (String bin : d.succinctRoles().allBinNames()) {
            requireNewRoleName(bin);
        }
        put(parent, Drafts.targets(md, expiresFor(parent), md.signed().targets(), d));
        d.succinctRoles().allBinNames().forEach(bin -> addRole(bin, parent));
    }

    private void requireNewRoleName(String name) {
        if (name.isEmpty() || name.contains("/") || name.chars().anyMatch(Character::isISOControl)) {
            // a percent-encoded '/' is decoded by static file servers, so such a role could not be served
            throw new IllegalArgumentException("invalid role name '" + name + "' (no '/' or control characters)");
        }
        if (targetsRoles.containsKey(name) || Root.TOP_LEVEL_ROLES.contains(name)) {
            throw new IllegalArgumentException("role '" + name + "' already exists");
        }
    }

    private void addRole(String name, String parent) {
        targetsRoles.put(name, Metadata.of(new Targets(Signed.SPEC_VERSION, 1, expiresFor(name), Map.of(), null,
                Map.of())));
        parents.put(name, parent);
    }

    private void put(String role, Targets draft) {
        targetsRoles.put(role, Metadata.of(draft));
    }

    // ---- snapshot and timestamp ----

    /**
     * Issues a new snapshot listing the version of {@code targets} and every delegated role, optionally with
     * each file's length and sha256.
     *
     * @throws SigningException when a targets role is not signed to its threshold
     */
    public void refreshSnapshot(boolean withLengthAndHashes) {
        Map<String, MetaFile> meta = new LinkedHashMap<>();
        for (Map.Entry<String, Metadata<Targets>> e : targetsRoles.entrySet()) {
            requireSigned(e.getKey());
            Metadata<Targets> md = e.getValue();
            MetaFile mf = new MetaFile(md.signed().version());
            if (withLengthAndHashes) {
                byte[] bytes = md.toBytes();
                mf = new MetaFile(md.signed().version(), (long) bytes.length, Map.of("sha256", Digests.sha256Hex(bytes)),
                        Map.of());
            }
            meta.put(e.getKey() + ".json", mf);
        }
        snapshot = Metadata.of(new Snapshot(Signed.SPEC_VERSION, Drafts.nextVersion(snapshot), expiresFor("snapshot"),
                meta, Map.of()));
    }

    /**
     * Issues a new timestamp pointing at the current snapshot (version, length and sha256).
     *
     * @throws SigningException when the snapshot is missing or not signed to its threshold
     */
    public void refreshTimestamp() {
        if (snapshot == null) {
            throw new SigningException("no snapshot yet: refresh the snapshot first");
        }
        requireSigned("snapshot");
        byte[] bytes = snapshot.toBytes();
        MetaFile mf = new MetaFile(snapshot.signed().version(), (long) bytes.length,
                Map.of("sha256", Digests.sha256Hex(bytes)), Map.of());
        timestamp = Metadata.of(new Timestamp(Signed.SPEC_VERSION, Drafts.nextVersion(timestamp),
                expiresFor("timestamp"), mf, Map.of()));
    }

    /** Starts a new version of a role with the same content and a fresh expiry (to be signed again). */
    public void bump(String role) {
        switch (role) {
            case "root" -> {
                Metadata<Root> current = root();
                Root next = Drafts.bumped(current, expiresFor(role));
                if (current.signatures().isEmpty()) {
                    roots.removeLast();
                }
                roots.add(Metadata.of(next));
            }
            case "snapshot" -> snapshot = Metadata.of(Drafts.bumped(present(snapshot, role), expiresFor(role)));
            case "timestamp" -> timestamp = Metadata.of(Drafts.bumped(present(timestamp, role), expiresFor(role)));
            default -> put(role, Drafts.bumped(targets(role), expiresFor(role)));
        }
    }

    private static <T extends Signed> Metadata<T> present(Metadata<T> md, String role) {
        if (md == null) {
            throw new IllegalStateException("no " + role + " metadata yet");
        }
        return md;
    }

    // ---- signing ----

    /**
     * Adds each signer's signature to a role's current metadata (replacing an earlier signature by the same
     * key). Thresholds are not checked here, so signatures can be collected in several calls.
     *
     * @throws SigningException when a signer's key may not sign the role
     */
    public void sign(String role, Collection<? extends Signer> signers) {
        List<String> allowed = Thresholds.allowedKeyIds(this, role);
        for (Signer s : signers) {
            if (!allowed.contains(s.keyId())) {
                throw new SigningException("key " + shortId(s.keyId()) + " is not a " + role + " key");
            }
        }
        switch (role) {
            case "root" -> {
                Metadata<Root> md = root();
                for (Signer s : signers) {
                    md = md.sign(s);
                }
                roots.set(roots.size() - 1, md);
            }
            case "snapshot" -> snapshot = signAll(snapshot, signers);
            case "timestamp" -> timestamp = signAll(timestamp, signers);
            default -> targetsRoles.put(role, signAll(targets(role), signers));
        }
    }

    public void sign(String role, Signer... signers) {
        sign(role, List.of(signers));
    }

    private static <T extends Signed> Metadata<T> signAll(Metadata<T> md, Collection<? extends Signer> signers) {
        Metadata<T> out = md;
        for (Signer s : signers) {
            out = out.sign(s);
        }
        return out;
    }

    /**
     * Checks that a role's current metadata meets its threshold (for a new root version: its own and the
     * previous root's).
     *
     * @throws SigningException when it does not, naming the role and the counts
     */
    public void requireSigned(String role) {
        Thresholds.require(this, role);
    }

    /** Whether {@link #requireSigned} would pass. */
    public boolean isSigned(String role) {
        try {
            requireSigned(role);
            return true;
        } catch (SigningException e) {
            return false;
        }
    }

    static String shortId(String keyId) {
        return keyId.length() > 12 ? keyId.substring(0, 12) : keyId;
    }

    /** The keys a delegating role lists (root for top-level roles). */
    Map<String, Key> delegatorKeys(String role) {
        String parent = delegatorOf(role);
        if ("root".equals(parent)) {
            return root().signed().keys();
        }
        Delegations d = targets(parent).signed().delegations();
        return d == null ? Map.of() : d.keys();
    }
}
