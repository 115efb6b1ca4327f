package dev.flotilla.cli.tufclient;

import com.sun.net.httpserver.HttpServer;
import dev.flotilla.core.crypto.KeyType;
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
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small consistent-snapshot TUF repository built with the core model classes, one Ed25519 key for all
 * roles, top-level targets delegating {@code fw/*} to the role {@code firmware}, served over real HTTP on loopback (port 0) under {@code /metadata/} and {@code /targets/}.
 * Every request path is recorded, so tests can tell what a client fetched.
 */
final class TestRepository implements AutoCloseable {
    /** Targets under this prefix are listed by the delegated role {@link #DELEGATED_ROLE}, not by targets. */
    static final String DELEGATED_PREFIX = "fw/";
    static final String DELEGATED_ROLE = "firmware";

    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Ed25519Signer key = Ed25519Signer.generate();
    private final Instant expires = Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    private byte[] root;

    /** Publishes version 1 of every role listing {@code targets} (path to content) and starts serving. */
    TestRepository(Map<String, byte[]> targets) throws IOException {
        publish(targets);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.add(path);
            byte[] body = files.get(path);
            try (exchange) {
                if (body == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
    }

    private void publish(Map<String, byte[]> targets) {
        Key pub = key.publicKey();
        String id = pub.keyId();
        Map<String, Role> roles = new LinkedHashMap<>();
        for (String r : List.of("root", "timestamp", "snapshot", "targets")) {
            roles.put(r, new Role(List.of(id), 1));
        }
        root = Metadata.of(new Root(Signed.SPEC_VERSION, 1, expires, true, Map.of(id, pub), roles, Map.of()))
                .sign(key).toBytes();
        files.put("/metadata/1.root.json", root);

        Map<String, TargetFile> top = new LinkedHashMap<>();
        Map<String, TargetFile> delegated = new LinkedHashMap<>();
        targets.forEach((path, data) -> {
            TargetFile tf = TargetFile.of(data, null);
            (path.startsWith(DELEGATED_PREFIX) ? delegated : top).put(path, tf);
            int slash = path.lastIndexOf('/');
            files.put("/targets/" + path.substring(0, slash + 1) + tf.sha256() + "." + path.substring(slash + 1), data);
        });
        Delegations delegations = new Delegations(Map.of(id, pub), List.of(DelegatedRole.withPaths(DELEGATED_ROLE,
                List.of(id), 1, false, List.of(DELEGATED_PREFIX + "*"))), null, Map.of());
        files.put("/metadata/1.targets.json", Metadata.of(new Targets(Signed.SPEC_VERSION, 1, expires, top,
                delegations, Map.of())).sign(key).toBytes());
        files.put("/metadata/1." + DELEGATED_ROLE + ".json", Metadata.of(new Targets(Signed.SPEC_VERSION, 1, expires,
                delegated, null, Map.of())).sign(key).toBytes());
        byte[] snapshot = Metadata.of(new Snapshot(Signed.SPEC_VERSION, 1, expires,
                Map.of("targets.json", new MetaFile(1), DELEGATED_ROLE + ".json", new MetaFile(1)), Map.of()))
                .sign(key).toBytes();
        files.put("/metadata/1.snapshot.json", snapshot);
        putTimestamp(1, snapshot, key);
    }

    /** Serves a timestamp of {@code version} for the current snapshot, signed by {@code signer}. */
    void putTimestamp(long version, Signer signer) {
        putTimestamp(version, files.get("/metadata/1.snapshot.json"), signer);
    }

    private void putTimestamp(long version, byte[] snapshot, Signer signer) {
        MetaFile meta = new MetaFile(1, (long) snapshot.length, Map.of("sha256", sha256(snapshot)), Map.of());
        files.put("/metadata/timestamp.json", Metadata.of(
                new Timestamp(Signed.SPEC_VERSION, version, expires, meta, Map.of())).sign(signer).toBytes());
    }

    /** Replaces what the server sends for a target (keeps the signed metadata as it was). */
    void tamperTarget(String targetPath, byte[] content) {
        String prefix = "/targets/" + targetPath.substring(0, targetPath.lastIndexOf('/') + 1);
        String suffix = "." + targetPath.substring(targetPath.lastIndexOf('/') + 1);
        files.replaceAll((p, b) -> p.startsWith(prefix) && p.endsWith(suffix)
                && p.substring(prefix.length()).indexOf('/') < 0 ? content : b);
    }

    byte[] root() {
        return root.clone();
    }

    byte[] file(String path) {
        return files.get(path).clone();
    }

    URI metadataUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metadata/");
    }

    URI targetsUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/targets/");
    }

    /** The paths requested so far, in order. */
    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clearRequests() {
        requests.clear();
    }

    /**
     * Writes a repository with two small targets as static files ({@code DIR/metadata/...},
     * {@code DIR/targets/...}, {@code DIR/initial_root.json}), for start-up benchmarks behind any static
     * HTTP server: {@code java -cp cli/target/test-classes:cli/target/flotilla.jar
     * dev.flotilla.cli.tufclient.TestRepository DIR}.
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Map<String, byte[]> targets = new LinkedHashMap<>();
        targets.put("a.bin", "first target\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        targets.put("fw/b.bin", "second target\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (TestRepository repo = new TestRepository(targets)) {
            for (Map.Entry<String, byte[]> e : repo.files.entrySet()) {
                Path file = dir.resolve(e.getKey().substring(1));
                Files.createDirectories(file.getParent());
                Files.write(file, e.getValue());
            }
            Files.write(dir.resolve("initial_root.json"), repo.root());
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A test signer over a JDK Ed25519 key pair. */
    record Ed25519Signer(KeyPair pair) implements Signer {
        static Ed25519Signer generate() {
            try {
                return new Ed25519Signer(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Key publicKey() {
            return Key.of(KeyType.ED25519, pair.getPublic());
        }

        @Override
        public byte[] sign(byte[] data) {
            try {
                java.security.Signature s = java.security.Signature.getInstance("Ed25519");
                s.initSign(pair.getPrivate());
                s.update(data);
                return s.sign();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
