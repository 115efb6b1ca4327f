package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.SignatureMemo;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Drives the TUF client workflow: fetches metadata, hands the bytes to a {@link TrustedMetadataSet}, and
 * persists each file only after the set accepted it. {@link #refresh()} reads like section 5 of the spec.
 */
public final class Updater {
    private final UpdaterConfig config;
    private final Fetcher fetcher;
    private final Clock clock;
    /** The signatures found valid by earlier refreshes: an unchanged file is not verified again. */
    private final SignatureMemo memo;
    private TrustedMetadataSet trusted;

    /** Starts from {@code root.json} in the metadata directory (see {@link #initialize} to seed it). */
    public Updater(UpdaterConfig config, Fetcher fetcher, Clock clock) {
        this(config, fetcher, clock, new SignatureMemo(64));
    }

    /** As above, remembering the signatures it finds valid in {@code memo}. */
    Updater(UpdaterConfig config, Fetcher fetcher, Clock clock, SignatureMemo memo) {
        this.config = config;
        this.fetcher = fetcher;
        this.clock = clock;
        this.memo = memo;
    }

    /** Copies a trusted root into a metadata directory (no network), creating it when needed. */
    public static void initialize(Path metadataDir, byte[] trustedRoot) {
        Metadata.fromBytes(trustedRoot, dev.flotilla.core.tuf.Root.class);
        AtomicFiles.write(metadataDir.resolve("root.json"), trustedRoot);
    }

    /** The trusted set after the last refresh (or null before one). */
    public TrustedMetadataSet trusted() {
        return trusted;
    }

    /**
     * Refreshes top-level metadata: root rotations, timestamp, snapshot, targets.
     *
     * @throws RepositoryError when the repository's data is refused
     * @throws DownloadError   when the transport fails
     */
    public void refresh() {
        trusted = new TrustedMetadataSet(readLocal("root").orElseThrow(() -> new IllegalStateException(
                "no trusted root.json in " + config.metadataDir())), clock.instant(), memo);
        loadRoot();
        loadTimestamp();
        loadSnapshot();
        loadTargets("targets", "root");
    }

    private void loadRoot() {
        Root start = trusted.root().signed();
        long lower = start.version() + 1;
        long upper = lower + config.maxRootRotations();
        try {
            for (long v = lower; v < upper; v++) {
                byte[] bytes;
                try {
                    bytes = fetcher.fetchBytes(config.metadataBaseUrl().resolve(v + ".root.json"),
                            config.rootMaxLength());
                } catch (DownloadError e) {
                    if (e.kind() == DownloadError.Kind.NOT_FOUND) {
                        return;
                    }
                    throw e;
                }
                trusted.updateRoot(bytes);
                persist("root", bytes);
            }
        } finally {
            forgetOnKeyRotation(start, trusted.root().signed());
        }
    }

    /**
     * Spec 5.3.11, the fast-forward attack recovery: when the new trusted root changed the keys of the timestamp
     * or the snapshot role, the trusted timestamp and snapshot files are deleted, so that versions an attacker
     * signed with the old keys no longer block the rollback checks.
     */
    private void forgetOnKeyRotation(Root before, Root after) {
        if (before.version() == after.version()) {
            return;
        }
        if (keysChanged(before, after, "timestamp") || keysChanged(before, after, "snapshot")) {
            delete("timestamp");
            delete("snapshot");
        }
    }

    private static boolean keysChanged(Root before, Root after, String role) {
        return !keyMaterial(before, role).equals(keyMaterial(after, role));
    }

    private static Set<String> keyMaterial(Root root, String role) {
        Set<String> out = new HashSet<>();
        for (String id : root.role(role).keyids()) {
            dev.flotilla.core.tuf.Key k = root.keys().get(id);
            out.add(k == null ? "missing:" + id : k.material());
        }
        return out;
    }

    private void loadTimestamp() {
        readLocal("timestamp").ifPresent(local -> {
            try {
                trusted.updateTimestamp(local);
            } catch (RepositoryError ignored) {
                // a stale or expired local copy still serves rollback checks when it was stored
            }
        });
        byte[] bytes = fetcher.fetchBytes(metaUrl("timestamp", null), config.timestampMaxLength());
        try {
            trusted.updateTimestamp(bytes);
        } catch (RepositoryError e) {
            if (e.reason() == Reason.EQUAL_VERSION) {
                return;
            }
            throw e;
        }
        persist("timestamp", bytes);
    }

    private void loadSnapshot() {
        Optional<byte[]> local = readLocal("snapshot");
        if (local.isPresent()) {
            try {
                trusted.updateSnapshot(local.get(), true);
                return;
            } catch (RepositoryError ignored) {
                // fetch a fresh one below
            }
        }
        MetaFile meta = trusted.timestamp().orElseThrow().signed().snapshotMeta();
        long max = cap(meta, config.snapshotMaxLength());
        Long version = consistent() ? meta.version() : null;
        byte[] bytes = fetcher.fetchBytes(metaUrl("snapshot", version), max);
        trusted.updateSnapshot(bytes, false);
        persist("snapshot", bytes);
    }

    private Metadata<Targets> loadTargets(String role, String parent) {
        Optional<Metadata<Targets>> have = trusted.targetsFor(role, parent);
        if (have.isPresent()) {
            return have.get();
        }
        Optional<byte[]> local = readLocal(role);
        if (local.isPresent()) {
            try {
                return trusted.updateDelegatedTargets(local.get(), role, parent);
            } catch (RepositoryError ignored) {
                // fetch a fresh one below
            }
        }
        MetaFile meta = trusted.snapshot().orElseThrow().signed().metaFor(role);
        if (meta == null) {
            throw new RepositoryError(Reason.NOT_FOUND, "snapshot does not list role '" + role + "'");
        }
        long max = cap(meta, config.targetsMaxLength());
        Long version = consistent() ? meta.version() : null;
        byte[] bytes = fetcher.fetchBytes(metaUrl(role, version), max);
        Metadata<Targets> md = trusted.updateDelegatedTargets(bytes, role, parent);
        persist(role, bytes);
        return md;
    }

    /**
     * The byte cap of a metadata fetch: the configured maximum, or the signed length when that is smaller. A
     * signed length never raises the cap: the snapshot and timestamp keys are online, and a timestamp that a
     * thief signed could otherwise declare a snapshot of any size.
     */
    private static long cap(MetaFile meta, long configuredMax) {
        return meta.length() == null ? configuredMax : Math.min(meta.length(), configuredMax);
    }

    /**
     * Finds a target by a pre-order depth-first search of the delegation graph: ordered delegations,
     * path patterns, terminating roles, each role visited once, at most {@code maxDelegations} roles. A role
     * loaded earlier through another delegator (a diamond) is used only when it also verifies with the keys
     * and threshold of the delegator on this search path ({@link TrustedMetadataSet#targetsFor}).
     *
     * @throws RepositoryError when metadata on the search path is refused (UNSIGNED for a shared role that
     *                         the current delegator's keys did not sign)
     * @throws DownloadError   when the transport fails
     */
    public Optional<TargetInfo> getTargetInfo(String path) {
        if (trusted == null) {
            refresh();
        }
        record Visit(String role, String parent) {
        }
        Deque<Visit> stack = new ArrayDeque<>();
        stack.push(new Visit("targets", "root"));
        Set<String> visited = new HashSet<>();
        int count = 0;
        while (!stack.isEmpty() && count < config.maxDelegations()) {
            Visit v = stack.pop();
            if (!visited.add(v.role())) {
                continue;
            }
            Metadata<Targets> md = loadTargets(v.role(), v.parent());
            count++;
            TargetFile tf = md.signed().targets().get(path);
            if (tf != null) {
                return Optional.of(new TargetInfo(path, tf, v.role()));
            }
            Delegations d = md.signed().delegations();
            if (d == null) {
                continue;
            }
            List<Visit> children = new ArrayList<>();
            for (Delegations.Child c : d.childrenFor(path)) {
                children.add(new Visit(c.name(), v.role()));
                if (c.terminating()) {
                    stack.clear();
                    break;
                }
            }
            for (int i = children.size() - 1; i >= 0; i--) {
                stack.push(children.get(i));
            }
        }
        return Optional.empty();
    }

    /**
     * The local file for a target: the target directory plus the URL-encoded path (a path of only dots, such
     * as {@code ..}, has its dots encoded too, so no target name leaves the target directory or names it).
     */
    public Path defaultTargetPath(TargetInfo info) {
        return config.targetDir().resolve(Encoding.fileName(info.path()));
    }

    /** The cached copy when it exists and matches length and hashes. */
    public Optional<Path> findCachedTarget(TargetInfo info, Path file) {
        return TargetFiles.findCached(info, file);
    }

    /**
     * Downloads a target to {@code file}: never reads more than its signed length, verifies length and every
     * supported hash, then moves it into place atomically. Nothing is left behind on failure.
     */
    public Path downloadTarget(TargetInfo info, Path file) {
        URI base = config.targetBaseUrl();
        if (base == null) {
            throw new IllegalStateException("no target base URL configured");
        }
        String rel = info.path();
        if (consistent() && config.prefixTargetsWithHash()) {
            int slash = rel.lastIndexOf('/');
            String hash = info.file().hashes().values().iterator().next();
            rel = rel.substring(0, slash + 1) + hash + "." + rel.substring(slash + 1);
        }
        return TargetFiles.download(fetcher, base.resolve(Encoding.quotePath(rel)), info, file);
    }

    private boolean consistent() {
        return trusted.root().signed().consistentSnapshot();
    }

    private URI metaUrl(String role, Long version) {
        String name = (version == null ? "" : version + ".") + Encoding.quote(role) + ".json";
        return config.metadataBaseUrl().resolve(name);
    }

    private Optional<byte[]> readLocal(String role) {
        Path p = config.metadataDir().resolve(Encoding.quote(role) + ".json");
        try {
            return Files.isRegularFile(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void delete(String role) {
        Path p = config.metadataDir().resolve(Encoding.quote(role) + ".json");
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + p + ": " + e.getMessage(), e);
        }
    }

    private void persist(String role, byte[] bytes) {
        AtomicFiles.write(config.metadataDir().resolve(Encoding.quote(role) + ".json"), bytes);
    }
}
