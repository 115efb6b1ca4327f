package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.rollouts.Cohorts;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dashboard pages over N devices against the same server's no-op endpoint ({@code /livez}). Starts a server in
 * this JVM (H2 file database in a temporary directory, or {@code --database}, or {@code --postgres-embedded}),
 * publishes {@code fw-2.0.bin} at firmware security version 2 ({@link BenchRelease}), registers N devices
 * running {@code fw-1.0.bin} at 1 ({@link BenchFleet}), lets each check in once, stores a few history events per device, creates and starts
 * the staged rollout of {@code bench rollout} over every device, lets its first stage report over HTTP (every
 * 50th failed), signs in to the dashboard with the admin token (a session cookie), and then times GETs of the
 * fleet overview ({@code /ui}), a filtered device search, a search by id prefix ({@code q}), a search by security
 * state (security version behind, trusted root current), the rollout's page and {@code /livez}, in
 * {@code --rounds} rounds (after a warm-up round) that take the six in turn, each from {@code --clients}
 * loopback clients. Each answer must be 200 with the page's own heading (never the sign-in page).
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Dashboard page times (fleet, device search, id search, security search, rollout) over N devices against a no-op endpoint.")
public final class DashboardBench implements Callable<Integer> {
    static final String SEARCH = "/ui/devices?hardwareId=" + RolloutBench.HARDWARE + "&health=healthy";
    /** The prefix the id search ({@code q}) looks for: a device id as an operator starts typing it. */
    static final String PREFIX = "dev_bench_123";
    static final String ID_SEARCH = "/ui/devices?q=" + PREFIX;
    /**
     * The security search: devices whose firmware security version is below the newest release's (every device:
     * they run 1 and {@code fw-2.0.bin} is published at 2) and whose trusted root is current (every device too).
     */
    static final String SECURITY_SEARCH = "/ui/devices?securityVersion=behind&trustedRoot=current";

    @Option(names = "--devices", defaultValue = "100000", description = "Devices to register (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--events-per-device", defaultValue = "4",
            description = "History events stored per device (default ${DEFAULT-VALUE}).")
    int eventsPerDevice;

    @Option(names = "--requests", defaultValue = "20",
            description = "Requests per page in each round (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--clients", defaultValue = "1",
            description = "Concurrent clients per page (default ${DEFAULT-VALUE}: sequential requests).")
    int clients;

    @Mixin
    BenchDatabase database;

    @Option(names = "--no-progress", description = "No progress bars on stderr.")
    boolean noProgress;

    /** A timed GET: its path and a text its real answer contains. */
    private record Target(String name, String path, String marker) {
    }

    @Override
    public Integer call() throws Exception {
        if (devices < 1 || eventsPerDevice < 0 || requests < 1 || rounds < 1 || clients < 1) {
            throw new IllegalArgumentException("--devices, --requests, --rounds and --clients must be at least 1, "
                    + "--events-per-device at least 0");
        }
        return database.run("dashboard", this::measure);
    }

    private int measure(Path dir, String databaseUrl) throws Exception {
        Server server = BenchDatabase.start(dir, databaseUrl, c -> c);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            String admin = server.initialAdminToken().orElseThrow();
            URI base = server.uri();
            BenchRelease.publish(base, admin, dir, "fw-2.0.bin", "2.0.0", RolloutBench.HARDWARE, 2);
            HttpClient http = BenchDatabase.http();
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("devices", devices);
            out.put("database", BenchDatabase.kind(server));
            out.put("clients", clients);
            long t0 = System.nanoTime();
            BenchFleet fleet;
            try (ProgressBar bar = Load.bar("register devices (keys, then rows)", 2L * devices, noProgress)) {
                fleet = BenchFleet.register(server, http, devices, RolloutBench.HARDWARE, bar::stepTo);
            }
            out.put("registerMillis", millisSince(t0));
            eachDevice(pool, "first check-ins", devices, i -> fleet.checkIn(i));
            try (ProgressBar bar = Load.bar("history events", devices, noProgress)) {
                out.put("historyEvents", fleet.storeHistory(server.jdbi(), eventsPerDevice, bar::stepTo));
            }
            t0 = System.nanoTime();
            JsonNode rollout = RolloutBench.create(http, base, admin);
            out.put("createMillis", millisSince(t0));
            String id = rollout.path("id").asText();
            List<Integer> first = firstStage(server, fleet, id, rollout.path("stages").path(0).path("size").asInt());
            eachDevice(pool, "first stage reports", first.size(), k -> {
                if (k % 50 == 49) {
                    fleet.report(first.get(k), id, "bench_failure", "installed", "failed");
                } else {
                    fleet.report(first.get(k), id, null, "installed", "committed");
                }
            });
            out.put("firstStageReports", first.size());

            String cookie = signIn(http, base, admin);
            List<Target> targets = List.of(new Target("noop", "/livez", ""),
                    new Target("fleet", "/ui", "<h1>Fleet</h1>"),
                    new Target("deviceSearch", SEARCH, "<span id=\"match-count\">" + matchCount(devices) + "</span>"),
                    new Target("idSearch", ID_SEARCH,
                            "<span id=\"match-count\">" + matchCount(prefixed(devices)) + "</span>"),
                    new Target("securitySearch", SECURITY_SEARCH,
                            "<span id=\"match-count\">" + matchCount(devices) + "</span>"),
                    new Target("rollout", "/ui/rollouts/" + id, "<h1>Rollout <code>" + id + "</code></h1>"));
            Map<String, List<Long>> serverTimes = new LinkedHashMap<>();
            Map<String, List<Long>> latencies = time(pool, http, base, cookie, targets, serverTimes);
            report(out, latencies, serverTimes);
            out.put("searchPath", SEARCH);
            out.put("idSearchPath", ID_SEARCH);
            out.put("securitySearchPath", SECURITY_SEARCH);
            out.put("serverRssMiB", Load.rssMiB());
            out.put("note", "p50Millis and p95Millis are client-side times on loopback, server and load generator "
                    + "in one JVM, the no-op's time being the HTTP floor; serverP50Millis and serverP95Millis are the "
                    + "server's own (its Server-Timing header); the server's rollout evaluator runs every 2 s");
            System.out.println(new String(CanonicalJson.pretty(out), StandardCharsets.UTF_8));
        } finally {
            server.stop();
        }
        return 0;
    }

    /** The fleet indexes of the rollout's first stage, ranked as the server ranks them. */
    private static List<Integer> firstStage(Server server, BenchFleet fleet, String rolloutId, int size) {
        List<String> members = server.jdbi().withHandle(h -> Selection.parse(JsonNodeFactory.instance.objectNode())
                .members(h, List.of(RolloutBench.HARDWARE))).stream().map(Selection.Member::id).toList();
        return fleet.indexes(Cohorts.ranked(rolloutId, members).subList(0, size));
    }

    /** Signs in at {@code /ui/login} with an operator token as a browser does; the session cookie's value. */
    static String signIn(HttpClient http, URI base, String token) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        String prefix = "flotilla_session=";
        String cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(prefix)).findFirst()
                .map(c -> c.substring(0, c.indexOf(';') < 0 ? c.length() : c.indexOf(';'))).orElse(null);
        if (r.statusCode() != 303 || cookie == null || cookie.length() == prefix.length()) {
            throw new IllegalStateException("signing in to the dashboard answered " + r.statusCode());
        }
        return cookie;
    }

    /** A warm-up round and {@code --rounds} measured rounds; each round takes every target in turn. */
    private Map<String, List<Long>> time(ExecutorService pool, HttpClient http, URI base, String cookie,
                                         List<Target> targets, Map<String, List<Long>> serverTimes)
            throws Exception {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        for (Target t : targets) {
            out.put(t.name(), new ArrayList<>());
            serverTimes.put(t.name(), java.util.Collections.synchronizedList(new ArrayList<>()));
        }
        for (int r = -1; r < rounds; r++) {
            boolean measured = r >= 0;
            for (Target t : targets) {
                HttpRequest get = HttpRequest.newBuilder(base.resolve(t.path())).header("Cookie", cookie).build();
                AtomicInteger next = new AtomicInteger();
                Load.run(pool, clients, () -> {
                    if (next.getAndIncrement() >= requests) {
                        return false;
                    }
                    HttpResponse<String> res = http.send(get, HttpResponse.BodyHandlers.ofString());
                    if (res.statusCode() != 200 || !res.body().contains(t.marker())) {
                        throw new IllegalStateException(t.path() + " answered " + res.statusCode()
                                + " without '" + t.marker() + "'");
                    }
                    if (measured) {
                        serverTimes.get(t.name()).add(serverNanos(res));
                    }
                    return true;
                }, Long.MAX_VALUE, r < 0 ? null : out.get(t.name()));
            }
        }
        return out;
    }

    /**
     * The server's own time for an answer, from its {@code Server-Timing: app;dur=MILLIS} header, in ns; the bench
     * fails if the header is missing.
     */
    static long serverNanos(HttpResponse<?> res) {
        String value = res.headers().firstValue("Server-Timing").orElseThrow(
                () -> new IllegalStateException(res.uri() + " answered without a Server-Timing header"));
        for (String entry : value.split(",")) {
            String[] parts = entry.trim().split(";");
            for (int i = 1; parts[0].trim().equals("app") && i < parts.length; i++) {
                if (parts[i].trim().startsWith("dur=")) {
                    return Math.round(Double.parseDouble(parts[i].trim().substring(4)) * 1e6);
                }
            }
        }
        throw new IllegalStateException(res.uri() + " answered Server-Timing without app;dur: " + value);
    }

    /**
     * p50, p95 and max of each target in ms as the client saw them, each page's p50 and p95 over the no-op's,
     * and the server's own p50 and p95 ({@code serverP50Millis}, {@code serverP95Millis}).
     */
    private static void report(ObjectNode out, Map<String, List<Long>> latencies, Map<String, List<Long>> serverTimes) {
        double[] noop = null;
        ObjectNode pages = out.putObject("pages");
        for (Map.Entry<String, List<Long>> e : latencies.entrySet()) {
            long[] sorted = e.getValue().stream().mapToLong(Long::longValue).sorted().toArray();
            double p50 = Load.round(Load.percentile(sorted, 0.50) / 1e6);
            double p95 = Load.round(Load.percentile(sorted, 0.95) / 1e6);
            ObjectNode o = e.getKey().equals("noop") ? out.putObject("noop") : pages.putObject(e.getKey());
            o.put("requests", sorted.length);
            long[] server = serverTimes.get(e.getKey()).stream().mapToLong(Long::longValue).sorted().toArray();
            o.put("serverP50Millis", Load.round(Load.percentile(server, 0.50) / 1e6));
            o.put("serverP95Millis", Load.round(Load.percentile(server, 0.95) / 1e6));
            o.put("p50Millis", p50);
            o.put("p95Millis", p95);
            o.put("maxMillis", Load.round(sorted[sorted.length - 1] / 1e6));
            if (noop == null) {
                noop = new double[] {Math.max(0.01, p50), Math.max(0.01, p95)};
            } else {
                o.put("p50OverNoop", Load.round(p50 / noop[0]));
                o.put("p95OverNoop", Load.round(p95 / noop[1]));
                o.put("p95Under300Millis", p95 < 300);
            }
        }
    }

    @FunctionalInterface
    private interface Each {
        void run(int i) throws Exception;
    }

    /** {@code step} for 0 to n-1 from 8 concurrent clients, with a progress bar. */
    private void eachDevice(ExecutorService pool, String task, int n, Each step) throws Exception {
        AtomicInteger next = new AtomicInteger();
        try (ProgressBar bar = Load.bar(task, n, noProgress)) {
            Load.run(pool, 8, () -> {
                int i = next.getAndIncrement();
                if (i >= n) {
                    return false;
                }
                step.run(i);
                bar.step();
                return true;
            }, Long.MAX_VALUE, null);
        }
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** How many of the bench's devices ({@code dev_bench_0} onwards) have an id starting with {@link #PREFIX}. */
    static long prefixed(int devices) {
        return java.util.stream.IntStream.range(0, devices).filter(i -> ("dev_bench_" + i).startsWith(PREFIX)).count();
    }

    /** The device list's match count as shown: exact up to the dashboard's limit, then the limit and "+". */
    static String matchCount(long devices) {
        int limit = dev.flotilla.server.ui.Dashboard.COUNT_UP_TO;
        return devices > limit ? limit + "+" : Long.toString(devices);
    }
}
