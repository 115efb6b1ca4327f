package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

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

    @Mixin
    BenchDatabase database;

    private final AtomicInteger next = new AtomicInteger();
    private BenchFleet fleet;

    @Override
    public Integer call() throws Exception {
        return database.run("checkin", this::measure);
    }

    private int measure(Path dir, String databaseUrl) throws Exception {
        Server server = BenchDatabase.start(dir, databaseUrl, c -> c);
        try {
            HttpClient http = BenchDatabase.http();
            URI base = server.uri();
            long t0 = System.nanoTime();
            fleet = BenchFleet.register(server, http, devices, "bench-board", done -> { });
            long registeredMillis = (System.nanoTime() - t0) / 1_000_000;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                t0 = System.nanoTime();
                pass(pool, 200);
                long firstPassMillis = (System.nanoTime() - t0) / 1_000_000;
                // One idle check-in per device: the state after it is the steady state of a fleet polling
                // with nothing to do (every device is then in the server's idle cache).
                double firstIdlePass = pass(pool, 304);
                long[] lookups0 = lookups(http, base);
                List<Long> latencies = new ArrayList<>();
                double[] checkins = new double[rounds];
                double[] noops = new double[rounds];
                HttpRequest noop = HttpRequest.newBuilder(base.resolve("/livez")).build();
                for (int r = -1; r < rounds; r++) { // round -1 warms both up
                    List<Long> lat = r < 0 ? null : latencies;
                    double c = Load.run(pool, clients, () -> {
                        checkIn(Math.floorMod(next.getAndIncrement(), devices), 304);
                        return true;
                    }, millis, lat);
                    double n = Load.run(pool, clients, () -> {
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
                double checkinRate = Load.median(checkins);
                double noopRate = Load.median(noops);
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.put("devices", devices);
                out.put("database", BenchDatabase.kind(server));
                out.put("clients", clients);
                out.put("registerMillis", registeredMillis);
                out.put("firstCheckInPassMillis", firstPassMillis);
                out.put("firstIdlePassPerSecond", Load.round(firstIdlePass));
                long fromCache = lookups1[0] - lookups0[0];
                long fromDatabase = lookups1[1] - lookups0[1];
                out.put("lookupsFromCacheShare", Load.round(fromCache / (double) Math.max(1, fromCache + fromDatabase)));
                out.put("checkinsPerSecond", Load.round(checkinRate));
                out.put("noopPerSecond", Load.round(noopRate));
                out.put("ratio", Load.round(checkinRate / noopRate));
                out.put("p50Millis", Load.round(Load.percentile(sorted, 0.50) / 1e6));
                out.put("p99Millis", Load.round(Load.percentile(sorted, 0.99) / 1e6));
                out.put("serverRssMiB", Load.rssMiB());
                out.put("note", "server and load generator run in one JVM; serverRssMiB is that JVM's resident size");
                System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
            }
        } finally {
            server.stop();
        }
        return 0;
    }

    private void checkIn(int i, int expected) throws Exception {
        int status = fleet.checkIn(i);
        if (status != expected) {
            throw new IllegalStateException("check-in of " + fleet.id(i) + " answered " + status);
        }
    }

    /** One check-in of every device, from {@code --clients} concurrent clients; returns check-ins/s. */
    private double pass(ExecutorService pool, int expected) throws Exception {
        next.set(0);
        return Load.run(pool, clients, () -> {
            int i = next.getAndIncrement();
            if (i >= devices) {
                return false;
            }
            checkIn(i, expected);
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
}
