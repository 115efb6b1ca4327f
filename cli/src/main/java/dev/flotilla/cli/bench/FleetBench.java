package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.json.CanonicalJson;
import me.tongfei.progressbar.ProgressBar;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fleet polling one or more server processes on one PostgreSQL database. Starts the server as its own
 * process ({@link FleetNodes}: its memory is its own), makes N device keys and signed manifests in this process
 * ({@code deviceKeysMillis}: work a real fleet's devices do themselves), registers the devices straight into
 * the database in bulk ({@link BenchFleet}; {@code registerMillis}: the rows of devices, device tokens and
 * manifests, not the enrollment protocol), lets every device check in once ({@code firstCheckInPassMillis}; it
 * gets its ETag) and then once idle ({@code firstIdlePassPerSecond}; the server's idle cache fills), then from
 * this process drives idle check-ins (If-None-Match, answered 304) round-robin over all devices: after a warm-up
 * run of {@code --millis} as fast as it goes, paced from
 * {@code --paced-clients} at the rate a fleet polling every {@code --poll-seconds} needs ({@code targetPerSecond}:
 * N / poll seconds; {@code achievedPerSecond}, and {@code p50Millis} / {@code p99Millis} counted from when each
 * check-in was due), then as fast as {@code --clients} concurrent clients go ({@code maxPerSecond}). Then the
 * server's resident size and peak ({@code /proc/PID/status}), its heap in use ({@code /metrics}) and the
 * database's size. With {@code --nodes N} greater than 1, N-1 more server processes start on the same
 * database; device i then always goes to node i mod N (an idle pass warms each node's cache), and the same two
 * measurements report in {@code nodes}, with the ratio of their maximum to the one node's.
 */
@Command(name = "fleet", mixinStandardHelpOptions = true,
        description = "A fleet's idle check-ins against server processes on PostgreSQL: rate, latency, memory.")
public final class FleetBench extends ToolCommand {
    @Option(names = "--devices", defaultValue = "1000000", description = "Devices to register (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--nodes", defaultValue = "1", description = "Server processes; above 1 they are measured after "
            + "one alone (default ${DEFAULT-VALUE}).")
    int nodeCount;

    @Option(names = "--poll-seconds", defaultValue = "300",
            description = "The fleet's poll interval: the paced rate is devices / this (default ${DEFAULT-VALUE}).")
    long pollSeconds;

    @Option(names = "--clients", defaultValue = "32",
            description = "Concurrent clients of the maximum-rate run (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--paced-clients", defaultValue = "64",
            description = "Concurrent clients of the paced run (default ${DEFAULT-VALUE}).")
    int pacedClients;

    @Option(names = "--millis", defaultValue = "20000", description = "Length of each measured run (default ${DEFAULT-VALUE}).")
    long millis;

    @Option(names = "--server-heap", defaultValue = "1g", description = "Each server's -Xmx (default ${DEFAULT-VALUE}).")
    String serverHeap;

    @Option(names = "--no-progress", description = "No progress bars on stderr.")
    boolean noProgress;

    @Mixin
    BenchDatabase database;

    private BenchFleet fleet;
    private List<URI> nodes;

    @Override
    protected int execute() throws Exception {
        if (devices < 1 || nodeCount < 1 || pollSeconds < 1 || clients < 1 || pacedClients < 1 || millis < 1) {
            throw new IllegalArgumentException("--devices, --nodes, --poll-seconds, --clients, --paced-clients and "
                    + "--millis must be at least 1");
        }
        if (!serverHeap.matches("[0-9]+[kmgKMG]?")) {
            throw new IllegalArgumentException("--server-heap must be a size such as 512m or 1g, not '" + serverHeap + "'");
        }
        if (!database.postgresql()) {
            throw new IllegalArgumentException("bench fleet needs PostgreSQL: --database jdbc:postgresql://... or "
                    + "--postgres-embedded");
        }
        return database.run("fleet", this::measure);
    }

    private int measure(Path dir, String databaseUrl) throws Exception {
        HttpClient http = BenchDatabase.http();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        try (FleetNodes servers = new FleetNodes(dir, databaseUrl, serverHeap, pollSeconds);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            servers.startUpTo(1);
            nodes = servers.uris();
            Jdbi jdbi = Jdbi.create(databaseUrl);
            out.put("devices", devices);
            out.put("database", "postgresql");
            out.put("serverHeap", serverHeap);
            long t0 = System.nanoTime();
            long[] keysDone = {0};
            try (ProgressBar bar = Load.bar("register devices (keys, then rows)", 2L * devices, noProgress)) {
                fleet = BenchFleet.register(jdbi, nodes.getFirst(), http, devices, "bench-board", done -> {
                    bar.stepTo(done);
                    if (done >= devices && keysDone[0] == 0) {
                        keysDone[0] = System.nanoTime();
                    }
                });
            }
            out.put("deviceKeysMillis", (keysDone[0] - t0) / 1_000_000);
            out.put("registerMillis", millisSince(keysDone[0]));
            t0 = System.nanoTime();
            pass(pool, "first check-ins", 200);
            out.put("firstCheckInPassMillis", millisSince(t0));
            out.put("firstIdlePassPerSecond", Load.round(pass(pool, "first idle check-ins", 304)));
            measureRates(pool, out);
            out.put("serverRssMiB", servers.memoryMiB(0, false));
            out.put("serverPeakRssMiB", servers.memoryMiB(0, true));
            out.put("serverHeapUsedMiB", servers.heapUsedMiB(http, 0));
            out.put("serverCachedDevices", servers.cachedDevices(http, 0));
            if (nodeCount > 1) {
                servers.startUpTo(nodeCount);
                nodes = servers.uris();
                ObjectNode several = out.putObject("nodes");
                several.put("count", nodeCount);
                several.put("warmIdlePassPerSecond", Load.round(pass(pool, "idle check-ins over the nodes", 304)));
                measureRates(pool, several);
                several.put("ratioToOneNode", Load.round(several.path("maxPerSecond").asDouble()
                        / out.path("maxPerSecond").asDouble()));
                ArrayNode rss = several.putArray("serverRssMiB");
                for (int n = 0; n < nodeCount; n++) {
                    rss.add(servers.memoryMiB(n, false));
                }
            }
            out.put("databaseMiB", jdbi.withHandle(h -> h.createQuery("SELECT pg_database_size(current_database())")
                    .mapTo(Long.class).one()) / (1024 * 1024));
            ArrayNode pids = out.putArray("serverPids");
            servers.pids().forEach(pids::add);
        }
        out.put("note", "server processes on loopback, the load generator and PostgreSQL on the same machine; "
                + "latencies are client-side, counted from when each check-in was due");
        out().println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
        out().flush();
        return 0;
    }

    /**
     * A warm-up run as fast as it goes (not reported), the paced run at the fleet's poll rate, then the
     * maximum-rate run, over the current nodes; into {@code out}.
     */
    private void measureRates(ExecutorService pool, ObjectNode out) throws Exception {
        double target = devices / (double) pollSeconds;
        AtomicInteger next = new AtomicInteger();
        Load.run(pool, clients, () -> idle(next), millis, null); // warm-up, as fast as it goes: not reported
        Load.Paced paced = Load.paced(pool, pacedClients, target, millis, () -> idle(next));
        out.put("targetPerSecond", Load.round(target));
        out.put("achievedPerSecond", Load.round(paced.perSecond()));
        out.put("p50Millis", Load.round(Load.percentile(paced.latencies(), 0.50) / 1e6));
        out.put("p99Millis", Load.round(Load.percentile(paced.latencies(), 0.99) / 1e6));
        java.util.List<Long> latencies = new java.util.ArrayList<>();
        double max = Load.run(pool, clients, () -> idle(next), millis, latencies);
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        out.put("maxPerSecond", Load.round(max));
        out.put("maxP50Millis", Load.round(Load.percentile(sorted, 0.50) / 1e6));
        out.put("maxP99Millis", Load.round(Load.percentile(sorted, 0.99) / 1e6));
    }

    /** The next device's idle check-in, at its node; true. */
    private boolean idle(AtomicInteger next) throws Exception {
        check(Math.floorMod(next.getAndIncrement(), devices), 304);
        return true;
    }

    private void check(int i, int expected) throws Exception {
        int status = fleet.checkIn(i, nodes.get(i % nodes.size()));
        if (status != expected) {
            throw new IllegalStateException("check-in of " + fleet.id(i) + " answered " + status);
        }
    }

    /** One check-in of every device at its node, from {@code --clients} concurrent clients; check-ins/s. */
    private double pass(ExecutorService pool, String task, int expected) throws Exception {
        AtomicInteger next = new AtomicInteger();
        try (ProgressBar bar = Load.bar(task, devices, noProgress)) {
            return Load.run(pool, clients, () -> {
                int i = next.getAndIncrement();
                if (i >= devices) {
                    return false;
                }
                check(i, expected);
                bar.step();
                return true;
            }, Long.MAX_VALUE, null);
        }
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
