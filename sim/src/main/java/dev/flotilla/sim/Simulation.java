package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.ServerConfig;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One simulator run: a real server (H2, loopback HTTP) in this process, or one already running
 * ({@link Settings#server()}), or in a child process for {@code soak} and {@code server-crash}, which kills it
 * mid-rollout with SIGKILL and starts it again ({@link ServerCrash}); and a {@link Story} of one chapter on it: a trusted root and two signed releases made with offline keys, a fleet
 * of boards that boot the baseline release (their factory image is that signed release's image) and enroll,
 * then the scenario's release as a staged rollout with a failure-rate gate that halts it and reverts. The run
 * waits until the rollout completed or halted and every device settled, stops the fleet and builds the
 * {@link Report} from the boards themselves.
 */
public final class Simulation {
    static final String BASELINE = Story.BASELINE;
    static final String RELEASE = "2.0.0";
    /** Nominal (speed 1) device and server poll interval, stage soak time and per-device stage timeout. */
    static final long POLL_SECONDS = 30;
    static final long SOAK_SECONDS = 60;
    static final long TIMEOUT_SECONDS = 1800;
    /** Boots of a new image on trial before the bootloader falls back (a power cut mid-trial costs one). */
    static final int TRIAL_TRIES = 3;
    /** A board's power cut comes before one of this many storage operations after the rollout starts. */
    static final int POWER_CUT_WITHIN = 150;
    /** The least time (wall seconds) the killed server of {@code server-crash} stays down before its restart. */
    static final long CRASH_DOWN_SECONDS = 5;
    /**
     * The least per-device stage timeout (wall seconds) of {@code server-crash}: the outage and the restart take
     * wall time that {@code --speed} does not shorten, so a scaled timeout (a minute at speed 30) would time out
     * boards whose reports wait for the server, and halt a good release, when a nominal one (30 minutes) would not.
     */
    static final long CRASH_MIN_TIMEOUT_SECONDS = 600;
    /** Nominal (speed 1) time a board whose image hangs on boot stays down before its watchdog resets it. */
    static final long WATCHDOG_SECONDS = 60;

    /**
     * What to run.
     *
     * @param speed how much faster than nominal the configured intervals are (poll, soak, stage timeout)
     * @param imageBytes the size of each firmware image
     * @param home the folder for the server's data, the operator's keys and the boards
     * @param deadline the longest the run may take (wall time) before it is reported as not settled
     * @param soakMinutes for {@code soak}: how long (wall time, from the rollout's start) the fleet keeps checking in
     * @param server a server already running to run against (its base URL, an admin token and a CA bundle), or null to
     *     start one of the run's own
     * @param faults the network faults a {@link FaultyProxy} between the boards and the server injects (none: the
     *     boards talk to the server directly)
     */
    public record Settings(Scenario scenario, int devices, long seed, double speed, int imageBytes, Path home,
                           Duration deadline, long soakMinutes, Remote server, Faults faults) {
        /** Nominal seconds at this speed, at least 1. */
        long scaled(long nominal) {
            return Math.max(1, Math.round(nominal / speed));
        }
    }

    /**
     * A server already running: its base URL, an admin API token, and the PEM file of CAs its HTTPS certificate
     * is checked against (null: the JDK's), which every client of the run trusts: the operator's commands, the
     * simulator's own API calls and the boards (their shared HTTP client and their {@code caBundle}).
     */
    public record Remote(URI uri, String adminToken, Path caBundle) {
    }

    private final Settings settings;
    private final Releases.Factory releases;
    private final Consumer<String> progress;
    private long started;

    public Simulation(Settings settings, Releases.Factory releases, Consumer<String> progress) {
        this.settings = settings;
        this.releases = releases;
        this.progress = line -> progress.accept(String.format("%6.1f s  %s", (System.nanoTime() - started) / 1e9,
                line));
        this.started = System.nanoTime();
    }

    /** A run's report and its timeline picture (SVG). */
    public record Outcome(Report report, byte[] timelineSvg) {
    }

    /**
     * Runs the scenario and reports it.
     *
     * @throws IllegalArgumentException when the scenario needs a server of its own ({@code server-crash},
     *     {@code soak}) and {@link Settings#server()} names one already running, or when network faults are to be
     *     injected in front of an HTTPS server (the proxy speaks plain HTTP to the boards)
     */
    public Outcome run() throws IOException, InterruptedException {
        started = System.nanoTime();
        if (settings.server() != null && settings.scenario().serverProcess()) {
            throw new IllegalArgumentException(settings.scenario().id() + " runs a server process of its own: it"
                    + " cannot run against --server");
        }
        if (settings.server() != null && settings.faults().any()
                && "https".equals(settings.server().uri().getScheme())) {
            throw new IllegalArgumentException("network faults need an http server: the faulty proxy speaks plain"
                    + " HTTP to the boards");
        }
        try (SimServer server = server()) {
            progress.accept("server " + server);
            Faults faults = settings.faults();
            try (FaultyProxy proxy = faults.any() ? new FaultyProxy(server.uri(), faults,
                    faults.delayWallMillis(settings.speed()), Math.max(1024, settings.imageBytes() / 2), settings.seed())
                    : null) {
                Duration down = Duration.ofSeconds(Math.max(CRASH_DOWN_SECONDS, 2 * settings.scaled(POLL_SECONDS)));
                ServerCrash crash = settings.scenario().serverCrash() ? new ServerCrash((ServerProcess) server, down,
                        progress) : null;
                return fly(server, proxy, crash);
            }
        }
    }

    /** The run's server: the one already running, a child process, or one in this process. */
    private SimServer server() throws IOException, InterruptedException {
        Path data = settings.home().resolve("server");
        long poll = settings.scaled(POLL_SECONDS);
        if (settings.server() != null) {
            return SimServer.remote(settings.server());
        }
        return settings.scenario().serverProcess()
                ? ServerProcess.start(data, poll, settings.home().resolve("server.log"))
                : SimServer.inProcess(ServerConfig.defaults().withDataDir(data).withHost("127.0.0.1").withPort(0)
                .withPollInterval(Duration.ofSeconds(poll)));
    }

    /** Starts the fleet (through {@code proxy} when there is one), rolls the release out, stops and reports. */
    private Outcome fly(SimServer server, FaultyProxy proxy, ServerCrash crash)
            throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(settings.deadline());
        LongSupplier millis = () -> (System.nanoTime() - started) / 1_000_000;
        Story.Setup setup = new Story.Setup(settings.home(), settings.devices(), settings.seed(), settings.imageBytes(),
                settings.scaled(POLL_SECONDS), TRIAL_TRIES, healthGraceSeconds(settings, crash != null),
                settings.scenario().powerCuts(),
                Map.of(RELEASE, settings.scenario().release()), Duration.ofSeconds(settings.scaled(WATCHDOG_SECONDS)));
        try (Story story = Story.begin(server.uri(), server.adminToken(), server.caBundle(),
                proxy == null ? server.uri() : proxy.uri(), releases, setup, deadline, progress, millis)) {
            story.planPowerCuts(POWER_CUT_WITHIN);
            progress.accept("rolling out " + RELEASE);
            SoakMeter soak = settings.scenario().soak() ? new SoakMeter(story.fleet(), ((ServerProcess) server).pid())
                    : null;
            Outage outage = settings.scenario().offline() ? outage(story) : null;
            Instant soakEnd = Instant.now().plus(Duration.ofMinutes(settings.soakMinutes()));
            Story.Chapter chapter = story.rollOut(RELEASE, settings.scaled(SOAK_SECONDS), timeoutSeconds(crash),
                    deadline, crash != null ? crash : soak != null ? soak : outage != null ? outage
                            : RolloutWatch.Disruption.NONE,
                    maxDownloads());
            if (soak != null && chapter.settled()) {
                soak.hold(soakEnd.isBefore(deadline) ? soakEnd : deadline, progress);
            }
            story.close();
            long end = millis.getAsLong();
            Report report = Report.build(settings, story.fleet(), story.signed(), story.api(), chapter.rollout(),
                    chapter.settled(), end / 1000.0, faults(proxy, story.fleet(), crash),
                    load(story.fleet(), soak), outage);
            byte[] svg = Timeline.svg(settings.scenario().id() + ": " + settings.devices() + " boards, release "
                    + RELEASE + " over " + BASELINE, story.fleet().boards().stream().map(b -> b.record().changes())
                    .toList(), end, chapter.markers());
            return new Outcome(report, svg);
        }
    }

    /**
     * The grace period of the boards' health checks (on trial and after the commit). Where the release is good or
     * the server goes away mid-trial, the agent's default, as a real board keeps it: a good release's rounds fail
     * only when the server is out of reach or too busy to answer in time, and that is wall time, which the speed
     * does not shorten (at 10,000 boards a saturated server kept one board's check from it for three minutes).
     * Where a bad release's answers are dropped or delayed, the default scaled by the speed, so that one lost answer
     * does not decide the round; for a bad release on a clean network none, so that it rolls back after one
     * failed round.
     */
    static long healthGraceSeconds(Settings settings, boolean serverCrash) {
        Faults f = settings.faults();
        if (serverCrash || settings.scenario().release() == TestImage.Behaviour.BOOT_OK) {
            return AgentConfigParser.DEFAULT_HEALTH_GRACE_SECONDS;
        }
        return f.drop() > 0 || f.delay() > 0 ? settings.scaled(AgentConfigParser.DEFAULT_HEALTH_GRACE_SECONDS) : 0;
    }

    /** The boards an offline scenario takes offline: {@link Scenario#OFFLINE_SHARE} of the fleet, at least one. */
    private Outage outage(Story story) {
        int count = (int) Math.max(1, Math.round(settings.devices() * Scenario.OFFLINE_SHARE));
        return new Outage(story.api(), story.fleet(), count, Story.firstStage(settings.devices()), progress);
    }

    /** The rollout's {@code maxConcurrentDownloads}. */
    private int maxDownloads() {
        return Math.min(Scenario.MAX_DOWNLOADS, settings.devices());
    }

    /** The boards' requests over the run, and for {@code soak} what its meter saw. */
    private JsonNode load(Fleet fleet, SoakMeter soak) {
        MeasuredHttp.Figures f = fleet.requests();
        double seconds = fleet.seconds();
        ObjectNode l = CanonicalJson.mapper().createObjectNode().put("requests", f.requests())
                .put("failedRequests", f.failed()).put("checkIns", f.checkIns())
                .put("checkInsPerSecond", Math.round(f.checkIns() / Math.max(seconds, 0.001) * 10) / 10.0)
                .put("checkInP50Millis", f.checkInP50Millis()).put("checkInP99Millis", f.checkInP99Millis())
                .put("checkInMaxMillis", f.checkInMaxMillis()).put("maxConcurrentDownloads", maxDownloads());
        l.set("requestsByKind", CanonicalJson.mapper().valueToTree(f.byKind()));
        l.set("failures", CanonicalJson.mapper().valueToTree(f.failures()));
        l.set("refusals", CanonicalJson.mapper().valueToTree(f.refusals()));
        if (soak != null) {
            l.setAll(soak.figures(settings.soakMinutes()));
        }
        return l;
    }

    /** The per-device stage timeout: nominal at this speed, but never shorter than a server outage needs. */
    private long timeoutSeconds(ServerCrash crash) {
        long scaled = settings.scaled(TIMEOUT_SECONDS);
        return crash == null ? scaled : Math.max(scaled, CRASH_MIN_TIMEOUT_SECONDS);
    }

    /** What the fault injection did, for the report. */
    private JsonNode faults(FaultyProxy proxy, Fleet fleet, ServerCrash crash) {
        ObjectNode f = CanonicalJson.mapper().createObjectNode();
        if (crash != null) {
            f.put("serverCrashes", crash.crashes())
                    .put("serverDownSeconds", Math.round(crash.downSeconds() * 10) / 10.0);
        }
        if (settings.scenario().powerCuts()) {
            f.put("powerCuts", fleet.powerCuts());
        }
        if (proxy != null) {
            f.set("network", CanonicalJson.mapper().valueToTree(settings.faults()));
            f.put("connections", proxy.connections()).put("responses", proxy.responses())
                    .put("downloads", proxy.downloads()).put("brokenDownloads", proxy.broken())
                    .put("resets", proxy.injected(FaultyProxy.Kind.RESET))
                    .put("truncations", proxy.injected(FaultyProxy.Kind.TRUNCATE))
                    .put("drops", proxy.injected(FaultyProxy.Kind.DROP))
                    .put("delays", proxy.injected(FaultyProxy.Kind.DELAY))
                    .put("delayWallMillis", settings.faults().delayWallMillis(settings.speed()))
                    .put("acceptFailures", proxy.acceptFailures()).put("acceptFailure", proxy.acceptFailure());
        }
        return f;
    }
}
