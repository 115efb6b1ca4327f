package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * A full TUF refresh (root, timestamp, snapshot, targets with N entries, then one target lookup) from an
 * empty client over loopback HTTP, against the baseline of fetching the same four files without verifying.
 */
@Command(name = "refresh", description = "Full TUF refresh of a repository with many targets, against raw fetching.",
        mixinStandardHelpOptions = true)
public final class RefreshBench implements Callable<Integer> {
    @Option(names = "--targets", defaultValue = "10000", description = "Targets in the repository (default ${DEFAULT-VALUE}).")
    int targetCount;

    @Option(names = "--millis", defaultValue = "2000", description = "Length of one round (default ${DEFAULT-VALUE}).")
    long millis;

    @Option(names = "--rounds", defaultValue = "5", description = "Alternating rounds; medians are reported (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--key-type", defaultValue = "ed25519", description = "ed25519, ecdsa-p256 or rsa.")
    String keyType;

    @Override
    public Integer call() throws Exception {
        Map<String, byte[]> files = buildRepository(KeyType.fromCliName(keyType));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] body = files.get(ex.getRequestURI().getPath().substring(1));
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2));
        server.start();
        Path tmp = Files.createTempDirectory("flotilla-bench");
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            byte[] root = files.get("1.root.json");
            HttpFetcher fetcher = new HttpFetcher();
            List<String> names = List.of("timestamp.json", "1.snapshot.json", "1.targets.json");
            Timer.Op fetchAll = () -> {
                try {
                    fetcher.fetchBytes(base.resolve("2.root.json"), 512_000);
                } catch (RuntimeException notFound) {
                    // the client's root probe ends with a 404 too
                }
                for (String n : names) {
                    fetcher.fetchBytes(base.resolve(n), 50_000_000);
                }
            };
            int[] run = {0};
            Timer.Op fullRefresh = () -> {
                Path dir = tmp.resolve("c" + run[0]++);
                Updater.initialize(dir, root);
                Updater u = new Updater(UpdaterConfig.of(dir, base, dir, base), fetcher, Clock.systemUTC());
                u.refresh();
                if (u.getTargetInfo("firmware/image-" + (targetCount - 1) + ".bin").isEmpty()) {
                    throw new IllegalStateException("target not found");
                }
            };
            double[] rates = Timer.compare(fullRefresh, fetchAll, rounds, millis);
            double refresh = rates[0];
            double fetchOnly = rates[1];
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("targets", targetCount);
            out.put("keyType", keyType);
            out.put("targetsJsonBytes", files.get("1.targets.json").length);
            out.put("refreshesPerSecond", round(refresh));
            out.put("refreshMillis", round(1000 / refresh));
            out.put("rawFetchesPerSecond", round(fetchOnly));
            out.put("rawFetchMillis", round(1000 / fetchOnly));
            out.put("ratio", round(refresh / fetchOnly));
            System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
            return 0;
        } finally {
            server.stop(0);
            try (var walk = Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

    private Map<String, byte[]> buildRepository(KeyType type) throws Exception {
        Map<String, Signer> signers = new LinkedHashMap<>();
        for (String role : List.of("root", "targets", "snapshot", "timestamp")) {
            signers.put(role, BenchKeys.signer(type));
        }
        Instant expires = Instant.now().plus(30, ChronoUnit.DAYS);
        Map<String, dev.flotilla.core.tuf.Key> keys = new LinkedHashMap<>();
        Map<String, Role> roles = new LinkedHashMap<>();
        signers.forEach((role, s) -> {
            keys.put(s.keyId(), s.publicKey());
            roles.put(role, new Role(List.of(s.keyId()), 1));
        });
        Map<String, byte[]> files = new HashMap<>();
        byte[] root = Metadata.of(new Root(Signed.SPEC_VERSION, 1, expires, true, keys, roles, Map.of()))
                .sign(signers.get("root")).toBytes();
        Map<String, TargetFile> targets = new LinkedHashMap<>();
        for (int i = 0; i < targetCount; i++) {
            byte[] content = ("image " + i).getBytes(StandardCharsets.UTF_8);
            ObjectNode custom = JsonNodeFactory.instance.objectNode();
            custom.putArray("hardwareIds").add("board-a");
            custom.put("version", "1." + i);
            custom.put("securityVersion", 1);
            targets.put("firmware/image-" + i + ".bin", TargetFile.of(content, custom));
        }
        byte[] targetsBytes = Metadata.of(new Targets(Signed.SPEC_VERSION, 1, expires, targets, null, Map.of()))
                .sign(signers.get("targets")).toBytes();
        byte[] snapshot = Metadata.of(new Snapshot(Signed.SPEC_VERSION, 1, expires,
                Map.of("targets.json", new MetaFile(1, (long) targetsBytes.length,
                        Map.of("sha256", Digests.sha256Hex(targetsBytes)), Map.of())), Map.of()))
                .sign(signers.get("snapshot")).toBytes();
        byte[] timestamp = Metadata.of(new Timestamp(Signed.SPEC_VERSION, 1, expires,
                new MetaFile(1, (long) snapshot.length, Map.of("sha256", Digests.sha256Hex(snapshot)), Map.of()),
                Map.of())).sign(signers.get("timestamp")).toBytes();
        files.put("1.root.json", root);
        files.put("1.targets.json", targetsBytes);
        files.put("1.snapshot.json", snapshot);
        files.put("timestamp.json", timestamp);
        return files;
    }
}
