package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One simulator run: a real server in this process (H2, loopback HTTP), a trusted root and two signed
 * releases made with offline keys, a fleet of boards that boot the baseline release (their factory image
 * is that signed release's image) and enroll, then the scenario's release as a staged rollout with a
 * failure-rate gate that halts it and reverts. The run waits until the rollout completed or halted and
 * every device settled, stops the fleet and builds the {@link Report} from the boards themselves.
 */
public final class Simulation {
    static final String HARDWARE = "sim-board";
    static final String BASELINE = "1.0.0";
    static final String RELEASE = "2.0.0";
    /** Nominal (speed 1) device and server poll interval, stage soak time and per-device stage timeout. */
    static final long POLL_SECONDS = 30;
    static final long SOAK_SECONDS = 60;
    static final long TIMEOUT_SECONDS = 1800;
    /** Boots of a new image on trial before the bootloader falls back (a power cut mid-trial costs one). */
    static final int TRIAL_TRIES = 3;
    /** A board's power cut comes before one of this many storage operations after the rollout starts. */
    static final int POWER_CUT_WITHIN = 150;

    /**
     * What to run.
     *
     * @param speed how much faster than nominal the configured intervals are (poll, soak, stage timeout)
     * @param imageBytes the size of each firmware image
     * @param home the folder for the server's data, the operator's keys and the boards
     * @param deadline the longest the run may take (wall time) before it is reported as not settled
     */
    public record Settings(Scenario scenario, int devices, long seed, double speed, int imageBytes, Path home,
                           Duration deadline) {
        /** Nominal seconds at this speed, at least 1. */
        long scaled(long nominal) {
            return Math.max(1, Math.round(nominal / speed));
        }
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

    /** Runs the scenario and reports it. */
    public Outcome run() throws IOException, InterruptedException {
        started = System.nanoTime();
        ServerConfig config = ServerConfig.defaults().withDataDir(settings.home().resolve("server"))
                .withHost("127.0.0.1").withPort(0).withPollInterval(Duration.ofSeconds(settings.scaled(POLL_SECONDS)));
        try (Server server = Server.start(config)) {
            Prepared prepared = prepare(server);
            progress.accept("server " + server.uri() + "; releases " + BASELINE + " and " + RELEASE + " signed");
            double rate = settings.scenario().brokenDownloads();
            try (FaultyProxy proxy = rate > 0 ? new FaultyProxy(server.uri(), rate,
                    Math.max(1024, settings.imageBytes() / 2), settings.seed()) : null) {
                return fly(prepared, proxy == null ? server.uri() : proxy.uri(), proxy);
            }
        }
    }

    /** The server's side, ready for a fleet: trust, the two signed releases, the root boards ship with. */
    private record Prepared(AdminApi api, SignedTargets signed, String target, Path root) {
    }

    private Prepared prepare(Server server) throws IOException {
        String admin = server.initialAdminToken().orElseThrow();
        AdminApi api = new AdminApi(server.uri(), admin);
        Releases operator = releases.open(server.uri(), admin,
                Files.createDirectories(settings.home().resolve("operator")));
        operator.createTrust();
        String baseTarget = publish(operator, TestImage.Behaviour.BOOT_OK, BASELINE);
        String target = publish(operator, settings.scenario().release(), RELEASE);
        SignedTargets signed = SignedTargets.parse(api.signedTargets(), Map.of(baseTarget, BASELINE, target, RELEASE));
        Path root = Files.write(settings.home().resolve("root.json"), api.metadata("1.root.json"));
        return new Prepared(api, signed, target, root);
    }

    /** Starts the fleet (talking to {@code deviceServer}), rolls the release out, waits, stops and reports. */
    private Outcome fly(Prepared s, URI deviceServer, FaultyProxy proxy) throws IOException, InterruptedException {
        Fleet.Provisioning p = new Fleet.Provisioning(deviceServer, s.api().enrollmentToken(settings.devices()),
                s.root(), HARDWARE, BASELINE, settings.imageBytes(), settings.scaled(POLL_SECONDS), TRIAL_TRIES);
        Instant deadline = Instant.now().plus(settings.deadline());
        LongSupplier millis = () -> (System.nanoTime() - started) / 1_000_000;
        Random random = new Random(settings.seed());
        try (Fleet fleet = Fleet.start(settings.home().resolve("boards"), settings.devices(), p,
                settings.scenario().powerCuts(), RELEASE, s.signed(), random, millis)) {
            awaitEnrolled(s.api(), deadline);
            progress.accept(settings.devices() + " boards enrolled on " + BASELINE + "; rolling out " + RELEASE);
            fleet.planPowerCuts(random, POWER_CUT_WITHIN);
            RolloutWatch watch = new RolloutWatch(s.api(), s.api().createRollout(rollout(s.target())), fleet, progress,
                    millis);
            boolean settled = watch.awaitSettled(deadline) && awaitQueuesEmpty(fleet, deadline);
            fleet.stop(Duration.ofSeconds(30));
            long end = millis.getAsLong();
            Report report = Report.build(settings, fleet, s.signed(), s.api(), watch.last(), settled, end / 1000.0,
                    faults(proxy, fleet));
            byte[] svg = Timeline.svg(settings.scenario().id() + ": " + settings.devices() + " boards, release "
                    + RELEASE + " over " + BASELINE, fleet.boards().stream().map(b -> b.record().changes()).toList(),
                    end, watch.markers());
            return new Outcome(report, svg);
        }
    }

    /** What the fault injection did, for the report. */
    private JsonNode faults(FaultyProxy proxy, Fleet fleet) {
        ObjectNode f = CanonicalJson.mapper().createObjectNode();
        if (settings.scenario().powerCuts()) {
            f.put("powerCuts", fleet.powerCuts());
        }
        if (proxy != null) {
            f.put("connections", proxy.connections()).put("downloads", proxy.downloads())
                    .put("brokenDownloads", proxy.broken());
        }
        return f;
    }

    private String publish(Releases operator, TestImage.Behaviour behaviour, String version) throws IOException {
        Path image = settings.home().resolve("firmware-" + version + ".img");
        TestImage.write(image, behaviour, version, settings.imageBytes());
        return operator.publish(image, version, HARDWARE);
    }

    /**
     * The scenario's rollout: a first stage of 1% of the fleet rounded down (at least one device, so a fleet
     * of 70 or more keeps it at most 1.5%), then 10%, 50% and 100%; a failure-rate gate of at most 1% once one
     * device has a verdict; the scaled soak and timeout; halting reverts.
     */
    ObjectNode rollout(String target) {
        ObjectNode body = CanonicalJson.mapper().createObjectNode().put("target", target).put("start", true);
        body.putObject("selection").put("hardwareId", HARDWARE);
        ObjectNode plan = body.putObject("plan");
        var stages = plan.putArray("stages");
        stages.addObject().put("count", Math.max(1, settings.devices() / 100));
        stages.addObject().put("percent", 10);
        stages.addObject().put("percent", 50);
        stages.addObject().put("percent", 100);
        plan.put("soakSeconds", settings.scaled(SOAK_SECONDS)).put("timeoutSeconds", settings.scaled(TIMEOUT_SECONDS));
        plan.putObject("gates").putObject("failureRate").put("max", 0.01).put("minDevices", 1);
        body.putObject("policies").put("onHalt", "revert");
        return body;
    }

    private void awaitEnrolled(AdminApi api, Instant deadline) throws IOException, InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            long reported = api.devices("hardwareId=" + HARDWARE).stream().filter(d -> d.hasNonNull("lastSeenAt"))
                    .count();
            if (reported >= settings.devices()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IOException("the boards did not all enroll and check in within "
                + settings.deadline().toSeconds() + " s");
    }

    private static boolean awaitQueuesEmpty(Fleet fleet, Instant deadline) throws IOException, InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            if (fleet.queuesEmpty()) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }
}
