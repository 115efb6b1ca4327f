package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.rollouts.Cohorts;
import dev.flotilla.server.rollouts.Plan;
import dev.flotilla.server.rollouts.Selection;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A staged rollout over N devices, in one server in this JVM (H2 file database in a temporary directory, or
 * {@code --database}, or {@code --postgres-embedded}): registers N devices that run fw-1.0.bin ({@link BenchFleet}),
 * publishes fw-2.0.bin for them ({@link BenchRelease}), measures idle check-ins, creates and starts a rollout of
 * the default plan's shape (1%, 10%, 50%, 100%, gates on) over every device (dynamic selection), and reports:
 * <ul>
 *   <li>{@code cohortMillis}: assigning every device its stage from the positions the server keeps for the
 *       rollout's dynamic selection (every member in rollout order, {@code Rollouts.cohort} of the last stage, and
 *       {@link Cohorts#sizes}), the read the server's admission does for a stage; the fastest of 3 (the first runs
 *       cold code); {@code fullRankMillis}: the same order by reading the whole selection and ranking every member
 *       ({@link Selection#members}, {@link Cohorts#ranked}), what the server does once when the rollout starts
 *       (the bench checks that both orders are equal);</li>
 *   <li>{@code gateEvaluationMillis}: one evaluation of the rollouts ({@code Evaluator.evaluate}: timeouts,
 *       gates, dynamic admission, the next-stage check) after every device of the first stage reported its
 *       install over HTTP (98% committed, 2% failed: the gate holds); the fastest of 3 (the server's own
 *       evaluator runs every 2 s and takes the same lock, so a slower one may have waited for it);</li>
 *   <li>{@code checkinRatioDuringRollout}: idle check-ins per second (measured as {@code bench checkin} does:
 *       If-None-Match, 304, {@code --clients} loopback clients, medians of {@code --rounds}) while the rollout is
 *       active and the server's evaluator runs, divided by the same before the rollout existed.</li>
 * </ul>
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Cohort assignment, gate evaluation and idle check-ins during a staged rollout over N devices.")
public final class RolloutBench implements Callable<Integer> {
    static final String HARDWARE = "bench-board";
    static final String PLAN = """
            {"stages": [{"percent": 1}, {"percent": 10}, {"percent": 50}, {"percent": 100}],
             "soakSeconds": 3600, "timeoutSeconds": 86400,
             "gates": {"failureRate": {"max": 0.05, "minDevices": 10}, "rollbackRate": {"max": 0.02, "minDevices": 10},
                       "timeoutRate": {"max": 0.1, "minDevices": 10}}}""";

    @Option(names = "--devices", defaultValue = "100000", description = "Devices to register (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--checkin-devices", paramLabel = "N",
            description = "Idle check-ins go round-robin over the first N devices (default: all).")
    Integer checkinDevices;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent HTTP clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--millis", defaultValue = "3000", description = "Length of one check-in round (default ${DEFAULT-VALUE}).")
    long millis;

    @Option(names = "--rounds", defaultValue = "3", description = "Check-in rounds per phase; medians are reported "
            + "(default ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin
    BenchDatabase database;

    @Option(names = "--no-progress", description = "No progress bars on stderr.")
    boolean noProgress;

    private BenchFleet fleet;
    private int checkins;

    @Override
    public Integer call() throws Exception {
        if (devices < 1) {
            throw new IllegalArgumentException("--devices must be at least 1");
        }
        return database.run("rollout", this::measure);
    }

    private int measure(Path dir, String databaseUrl) throws Exception {
        Server server = BenchDatabase.start(dir, databaseUrl, c -> c);
        checkins = checkinDevices == null ? devices : Math.min(devices, checkinDevices);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            String admin = server.initialAdminToken().orElseThrow();
            BenchRelease.publish(server.uri(), admin, dir, "fw-2.0.bin", "2.0.0", HARDWARE);
            HttpClient http = BenchDatabase.http();
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("devices", devices);
            out.put("database", BenchDatabase.kind(server));
            out.put("clients", clients);
            out.put("checkinDevices", checkins);
            long t0 = System.nanoTime();
            try (ProgressBar bar = bar("register devices (keys, then rows)", 2L * devices)) {
                fleet = BenchFleet.register(server, http, devices, checkins, HARDWARE, bar::stepTo);
            }
            out.put("registerMillis", millisSince(t0));
            pass(pool, "first check-ins", 200);
            pass(pool, "idle check-ins", 304);
            t0 = System.nanoTime();
            while (server.rollouts().queuedMemberChanges() > 0) { // the registrations' membership changes
                Thread.sleep(250);
            }
            out.put("memberChangesDrainMillis", millisSince(t0));
            double without = checkinRounds(pool, null);

            t0 = System.nanoTime();
            JsonNode rollout = create(http, server.uri(), admin);
            out.put("createMillis", millisSince(t0));
            String id = rollout.path("id").asText();

            Plan plan = Plan.parse(CanonicalJson.mapper().readTree(PLAN));
            long[] cohortTimes = new long[3];
            long[] rankTimes = new long[3];
            List<String> ranked = null;
            List<String> kept = null;
            int[] sizes = null;
            int[] stageOf = null;
            int last = plan.stages().size() - 1;
            for (int i = 0; i < cohortTimes.length; i++) {
                t0 = System.nanoTime();
                kept = server.rollouts().cohort(id, last);
                sizes = Cohorts.sizes(plan, kept.size());
                stageOf = stages(sizes, kept.size());
                cohortTimes[i] = millisSince(t0);
                t0 = System.nanoTime();
                List<String> members = server.jdbi().withHandle(h -> Selection.parse(JsonNodeFactory.instance
                        .objectNode()).members(h, List.of(HARDWARE))).stream().map(Selection.Member::id).toList();
                ranked = Cohorts.ranked(id, members);
                rankTimes[i] = millisSince(t0);
            }
            out.put("cohortMillis", Arrays.stream(cohortTimes).min().orElseThrow());
            out.set("cohortSamplesMillis", CanonicalJson.mapper().valueToTree(cohortTimes));
            out.put("fullRankMillis", Arrays.stream(rankTimes).min().orElseThrow());
            out.set("fullRankSamplesMillis", CanonicalJson.mapper().valueToTree(rankTimes));
            out.set("stageSizes", CanonicalJson.mapper().valueToTree(sizes));
            if (stageOf.length != devices || sizes[0] != rollout.path("stages").path(0).path("size").asInt()
                    || !kept.equals(ranked)) {
                throw new IllegalStateException("the cohort does not match the server's: " + Arrays.toString(sizes)
                        + " vs " + rollout.path("stages") + (kept.equals(ranked) ? "" : ", or not the full ranking's"));
            }

            List<Integer> first = fleet.indexes(ranked.subList(0, sizes[0]));
            t0 = System.nanoTime();
            AtomicInteger failed = new AtomicInteger();
            try (ProgressBar bar = bar("first stage reports", first.size())) {
                AtomicInteger next = new AtomicInteger();
                Load.run(pool, clients, () -> {
                    int k = next.getAndIncrement();
                    if (k >= first.size()) {
                        return false;
                    }
                    if (k % 50 == 49) {
                        failed.incrementAndGet();
                        fleet.report(first.get(k), id, "bench_failure", "installed", "failed");
                    } else {
                        fleet.report(first.get(k), id, null, "installed", "committed");
                    }
                    bar.step();
                    return true;
                }, Long.MAX_VALUE, null);
            }
            out.put("firstStageReports", first.size());
            out.put("firstStageFailed", failed.get());
            out.put("reportsPerSecond", Load.round(first.size() / (millisSince(t0) / 1000.0)));

            long[] evaluations = new long[3];
            for (int i = 0; i < evaluations.length; i++) {
                t0 = System.nanoTime();
                server.rollouts().evaluator().evaluate();
                evaluations[i] = millisSince(t0);
            }
            out.put("gateEvaluationMillis", Arrays.stream(evaluations).min().orElseThrow());
            out.set("gateEvaluationSamplesMillis", CanonicalJson.mapper().valueToTree(evaluations));
            JsonNode after = CanonicalJson.mapper().valueToTree(server.rollouts().get(id));
            out.put("rolloutState", after.path("state").asText());
            out.set("gates", after.path("gates"));

            AtomicLong notIdle = new AtomicLong();
            double during = checkinRounds(pool, notIdle);
            out.put("checkinsPerSecondWithoutRollout", Load.round(without));
            out.put("checkinsPerSecondDuringRollout", Load.round(during));
            out.put("checkinRatioDuringRollout", Load.round(during / without));
            out.put("checkinsAnsweredWithAChange", notIdle.get());
            out.put("serverRssMiB", Load.rssMiB());
            out.put("note", "server and load generator run in one JVM; the server's evaluator runs every 2 s");
            System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
        } finally {
            server.stop();
        }
        return 0;
    }

    /** Each device's stage (0-based) in ranked order: a device of stage k is among the first sizes[k]. */
    private static int[] stages(int[] sizes, int n) {
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            while (i >= sizes[k]) {
                k++;
            }
            out[i] = k;
        }
        return out;
    }

    /** Creates and starts, over HTTP, a rollout of {@code fw-2.0.bin} to every device with {@link #PLAN}. */
    static JsonNode create(HttpClient http, URI base, String admin) throws Exception {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("target", "fw-2.0.bin").put("start", true);
        body.putObject("selection");
        body.set("plan", CanonicalJson.mapper().readTree(PLAN));
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/rollouts"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(CanonicalJson.mapper().writeValueAsBytes(body))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("creating the rollout answered " + r.statusCode() + ": "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return CanonicalJson.mapper().readTree(r.body());
    }

    /** One check-in of each of the check-in devices, expecting {@code expected}. */
    private void pass(ExecutorService pool, String task, int expected) throws Exception {
        AtomicInteger next = new AtomicInteger();
        try (ProgressBar bar = bar(task, checkins)) {
            Load.run(pool, clients, () -> {
                int i = next.getAndIncrement();
                if (i >= checkins) {
                    return false;
                }
                int status = fleet.checkIn(i);
                if (status != expected) {
                    throw new IllegalStateException("check-in of " + fleet.id(i) + " answered " + status);
                }
                bar.step();
                return true;
            }, Long.MAX_VALUE, null);
        }
    }

    /** A warm-up round and {@code --rounds} rounds of idle check-ins; the median rate. */
    private double checkinRounds(ExecutorService pool, AtomicLong notIdle) throws Exception {
        AtomicInteger next = new AtomicInteger();
        double[] rates = new double[rounds];
        for (int r = -1; r < rounds; r++) {
            double rate = Load.run(pool, clients, () -> {
                if (fleet.checkIn(Math.floorMod(next.getAndIncrement(), checkins)) != 304 && notIdle != null) {
                    notIdle.incrementAndGet();
                }
                return true;
            }, millis, null);
            if (r >= 0) {
                rates[r] = rate;
            }
        }
        return Load.median(rates);
    }

    private ProgressBar bar(String task, long max) {
        return Load.bar(task, max, noProgress);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
