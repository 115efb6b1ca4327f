package dev.flotilla.core.tuf.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.DelegatedRole;
import dev.flotilla.core.tuf.Delegations;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.SuccinctRoles;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TUF repository for tests (after python-tuf's {@code tests/repository_simulator.py}): metadata content
 * per role built from the model classes, signed by {@link TestSigner}s, published as files and served over
 * real HTTP on loopback. Layout: {@code /metadata/N.root.json}, {@code /metadata/timestamp.json},
 * {@code /metadata/V.ROLE.json} (or {@code ROLE.json} without consistent snapshots), {@code /targets/DIR/HASH.NAME}
 * (and {@code /targets/PATH}). Tests can override any path with arbitrary bytes, a status or an endless stream,
 * and count fetches per path.
 */
final class RepositorySimulator implements AutoCloseable {
    static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Instant DEFAULT_EXPIRES = NOW.plus(Duration.ofDays(365));
    private static final String SPEC = Signed.SPEC_VERSION;

    /** Writes the HTTP response for an overridden path. */
    @FunctionalInterface
    interface Responder {
        void respond(HttpExchange ex) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Responder> overrides = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
    private final List<String> rawPaths = new CopyOnWriteArrayList<>();

    private final Map<String, Long> versions = new HashMap<>();
    private final Map<String, Instant> expires = new HashMap<>();
    private final Map<String, List<Signer>> signers = new HashMap<>();
    private final Map<String, Key> rootKeys = new LinkedHashMap<>();
    private final Map<String, Role> rootRoles = new LinkedHashMap<>();
    private final Map<String, Map<String, TargetFile>> targetFiles = new LinkedHashMap<>();
    private final Map<String, Delegations> delegations = new HashMap<>();
    private final Map<String, byte[]> latest = new HashMap<>();
    private final List<byte[]> signedRoots = new ArrayList<>();
    private List<Signer> previousRootSigners = List.of();
    private boolean consistentSnapshot = true;
    /** Whether timestamp and snapshot list length and hashes of the files they point at. */
    boolean hashesInMeta = true;

    /** A repository with one Ed25519 key per top-level role, root v1 published, nothing else yet. */
    RepositorySimulator() {
        for (String role : List.of("root", "timestamp", "snapshot", "targets")) {
            TestSigner s = TestSigner.ed25519();
            rootKeys.put(s.keyId(), s.publicKey());
            rootRoles.put(role, new Role(List.of(s.keyId()), 1));
            signers.put(role, new ArrayList<>(List.of(s)));
        }
        targetFiles.put("targets", new LinkedHashMap<>());
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** A repository with root, targets, snapshot and timestamp v1 published. */
    static RepositorySimulator started() {
        RepositorySimulator sim = new RepositorySimulator();
        sim.publishRoot();
        sim.publish("targets");
        return sim;
    }

    // ---------------------------------------------------------------- HTTP

    URI metadataUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metadata/");
    }

    URI targetUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/targets/");
    }

    UpdaterConfig config(Path dir) {
        return UpdaterConfig.of(dir.resolve("metadata"), metadataUrl(), dir.resolve("targets"), targetUrl());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String raw = ex.getRequestURI().getRawPath();
            rawPaths.add(raw);
            String path = percentDecode(raw.substring(1));
            fetches.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            Responder r = overrides.get(path);
            if (r != null) {
                r.respond(ex);
                return;
            }
            byte[] body = files.get(path);
            if (body == null) {
                status(404).respond(ex);
            } else {
                bytes(body).respond(ex);
            }
        } catch (IOException e) {
            // the client hung up (e.g. it stopped reading an endless stream): expected
        }
    }

    static Responder bytes(byte[] body) {
        return ex -> {
            ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        };
    }

    static Responder status(int code) {
        return ex -> ex.sendResponseHeaders(code, -1);
    }

    /** A chunked 200 response that never ends (up to 1 GiB, so that a broken client cannot hang the build). */
    static Responder endless() {
        return ex -> {
            ex.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[65536];
            java.util.Arrays.fill(chunk, (byte) ' ');
            chunk[0] = '{';
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 16384; i++) {
                    out.write(chunk);
                    chunk[0] = ' ';
                }
            }
        };
    }

    /** Serves {@code responder} for a path (relative to the server root, unencoded) instead of the file. */
    void override(String path, Responder responder) {
        overrides.put(path, responder);
    }

    void override(String path, byte[] body) {
        override(path, bytes(body));
    }

    void clearOverrides() {
        overrides.clear();
    }

    /** How often a path (unencoded, e.g. {@code metadata/timestamp.json}) was requested. */
    int fetchCount(String path) {
        AtomicInteger n = fetches.get(path);
        return n == null ? 0 : n.get();
    }

    /** The raw (percent-encoded) request paths, in order. */
    List<String> rawRequestPaths() {
        return List.copyOf(rawPaths);
    }

    void resetCounts() {
        fetches.clear();
        rawPaths.clear();
    }

    /** The published bytes at a path, or null. */
    byte[] file(String path) {
        return files.get(path);
    }

    void putFile(String path, byte[] body) {
        files.put(path, body);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '%' && i + 2 < in.length) {
                out.write(Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                out.write(in[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- content

    List<Signer> signers(String role) {
        return List.copyOf(signers.get(role));
    }

    long version(String role) {
        return versions.getOrDefault(role, 0L);
    }

    /** Sets the version the next publish of {@code role} will get, minus one. */
    void setVersion(String role, long lastPublished) {
        versions.put(role, lastPublished);
    }

    void setExpires(String role, Instant when) {
        expires.put(role, when);
    }

    void setConsistentSnapshot(boolean consistent) {
        consistentSnapshot = consistent;
    }

    /** Adds a signing key to a top-level role in root (publish root to take effect). */
    void addRootKey(String role, Signer s) {
        rootKeys.put(s.keyId(), s.publicKey());
        Role r = rootRoles.get(role);
        List<String> ids = new ArrayList<>(r.keyids());
        ids.add(s.keyId());
        rootRoles.put(role, new Role(ids, r.threshold()));
        signers.get(role).add(s);
    }

    /** Replaces all keys of a top-level role with {@code s} (threshold kept). */
    void rotateRootKeys(String role, Signer... next) {
        List<String> ids = new ArrayList<>();
        for (Signer s : next) {
            rootKeys.put(s.keyId(), s.publicKey());
            ids.add(s.keyId());
        }
        rootRoles.put(role, new Role(ids, Math.min(rootRoles.get(role).threshold(), next.length)));
        signers.put(role, new ArrayList<>(List.of(next)));
    }

    void setThreshold(String role, int threshold) {
        rootRoles.put(role, new Role(rootRoles.get(role).keyids(), threshold));
    }

    /** Signs with a subset or other keys than the role's (the role's key list stays as it is). */
    void setSigners(String role, Signer... s) {
        signers.put(role, new ArrayList<>(List.of(s)));
    }

    /** Adds a target to a role's content (publish the role to take effect); serves its bytes. */
    TargetFile addTarget(String role, String path, byte[] data) {
        TargetFile tf = TargetFile.of(data, null);
        targetFiles.get(role).put(path, tf);
        int slash = path.lastIndexOf('/');
        files.put("targets/" + path.substring(0, slash + 1) + tf.sha256() + "." + path.substring(slash + 1), data);
        files.put("targets/" + path, data);
        return tf;
    }

    /** Lists a hand-made target entry and serves {@code served} under each of its hash-prefixed names. */
    void addTargetEntry(String role, String path, TargetFile tf, byte[] served) {
        targetFiles.get(role).put(path, tf);
        int slash = path.lastIndexOf('/');
        for (String hash : tf.hashes().values()) {
            files.put("targets/" + path.substring(0, slash + 1) + hash + "." + path.substring(slash + 1), served);
        }
        files.put("targets/" + path, served);
    }

    /** Delegates path patterns from {@code delegator} to a new role signed by {@code keys} (threshold 1). */
    void delegate(String delegator, String name, List<String> paths, boolean terminating, Signer... keys) {
        delegate(delegator, name, paths, null, terminating, 1, keys);
    }

    void delegateHashPrefixes(String delegator, String name, List<String> prefixes, Signer... keys) {
        delegate(delegator, name, null, prefixes, false, 1, keys);
    }

    void delegate(String delegator, String name, List<String> paths, List<String> prefixes, boolean terminating,
                  int threshold, Signer... keys) {
        Delegations d = delegations.get(delegator);
        Map<String, Key> dkeys = d == null ? new LinkedHashMap<>() : new LinkedHashMap<>(d.keys());
        List<DelegatedRole> roles = d == null ? new ArrayList<>() : new ArrayList<>(d.roles());
        List<String> ids = new ArrayList<>();
        for (Signer s : keys) {
            dkeys.put(s.keyId(), s.publicKey());
            ids.add(s.keyId());
        }
        roles.add(new DelegatedRole(name, ids, threshold, terminating, paths, prefixes, Map.of()));
        delegations.put(delegator, new Delegations(dkeys, roles, null, Map.of()));
        signers.put(name, new ArrayList<>(List.of(keys)));
        targetFiles.putIfAbsent(name, new LinkedHashMap<>());
    }

    /** TAP 15: delegates all paths to {@code 2^bitLength} bins signed by one key; returns the bin names. */
    List<String> delegateSuccinct(String delegator, int bitLength, String prefix, Signer key) {
        SuccinctRoles sr = new SuccinctRoles(List.of(key.keyId()), 1, bitLength, prefix, Map.of());
        delegations.put(delegator, new Delegations(Map.of(key.keyId(), key.publicKey()), null, sr, Map.of()));
        for (String bin : sr.allBinNames()) {
            signers.put(bin, new ArrayList<>(List.of(key)));
            targetFiles.putIfAbsent(bin, new LinkedHashMap<>());
        }
        return sr.allBinNames();
    }

    /** Replaces a role's delegations as a whole (for hand-made graphs). */
    void setDelegations(String delegator, Delegations d) {
        delegations.put(delegator, d);
    }

    void addSigningKey(String role, Signer s) {
        signers.get(role).add(s);
    }

    // ---------------------------------------------------------------- publishing

    /** Publishes the next root version, signed by the previous root's keys and its own. */
    byte[] publishRoot() {
        LinkedHashSet<Signer> by = new LinkedHashSet<>(previousRootSigners);
        by.addAll(signers.get("root"));
        return publishRootSignedBy(by);
    }

    byte[] publishRootSignedBy(Collection<? extends Signer> by) {
        long v = next("root");
        Root r = new Root(SPEC, v, expiresOf("root"), consistentSnapshot, rootKeys, rootRoles, Map.of());
        byte[] b = sign(r, by);
        files.put("metadata/" + v + ".root.json", b);
        files.put("metadata/root.json", b);
        signedRoots.add(b);
        previousRootSigners = List.copyOf(signers.get("root"));
        return b;
    }

    /** The published bytes of root version {@code v}. */
    byte[] root(int v) {
        return signedRoots.get(v - 1);
    }

    /** Publishes the given targets roles, then snapshot and timestamp. */
    void publish(String... roles) {
        for (String role : roles) {
            publishTargets(role);
        }
        publishSnapshot();
        publishTimestamp();
    }

    byte[] publishTargets(String role) {
        long v = next(role);
        Targets t = targets(role, v);
        return store(role, v, sign(t, signers.get(role)));
    }

    /** The role's content as it would be published with version {@code v} (unsigned). */
    Targets targets(String role, long v) {
        return new Targets(SPEC, v, expiresOf(role), targetFiles.get(role), delegations.get(role), Map.of());
    }

    byte[] publishSnapshot() {
        long v = next("snapshot");
        Map<String, MetaFile> meta = new LinkedHashMap<>();
        for (String role : targetFiles.keySet()) {
            if (latest.containsKey(role)) {
                meta.put(role + ".json", metaFile(version(role), latest.get(role)));
            }
        }
        return store("snapshot", v, sign(new Snapshot(SPEC, v, expiresOf("snapshot"), meta, Map.of()),
                signers.get("snapshot")));
    }

    /** Drops a role from the next snapshot (as if it had never been published). */
    void forget(String role) {
        latest.remove(role);
    }

    byte[] publishTimestamp() {
        long v = next("timestamp");
        MetaFile snap = metaFile(version("snapshot"), latest.get("snapshot"));
        byte[] b = sign(new Timestamp(SPEC, v, expiresOf("timestamp"), snap, Map.of()), signers.get("timestamp"));
        latest.put("timestamp", b);
        files.put("metadata/timestamp.json", b);
        return b;
    }

    /** The path a role's metadata is served at for a version. */
    String metaPath(String role, long v) {
        return "metadata/" + (consistentSnapshot ? v + "." : "") + role + ".json";
    }

    byte[] latest(String role) {
        return latest.get(role);
    }

    private byte[] store(String role, long v, byte[] b) {
        latest.put(role, b);
        files.put(metaPath(role, v), b);
        return b;
    }

    private MetaFile metaFile(long version, byte[] b) {
        if (!hashesInMeta) {
            return new MetaFile(version);
        }
        return new MetaFile(version, (long) b.length, Map.of("sha256", Digests.sha256Hex(b)), Map.of());
    }

    static byte[] sign(Signed signed, Collection<? extends Signer> by) {
        Metadata<Signed> md = Metadata.of(signed);
        for (Signer s : by) {
            md = md.sign(s);
        }
        return md.toBytes();
    }

    private long next(String role) {
        long v = versions.getOrDefault(role, 0L) + 1;
        versions.put(role, v);
        return v;
    }

    private Instant expiresOf(String role) {
        return expires.getOrDefault(role, DEFAULT_EXPIRES);
    }
}
