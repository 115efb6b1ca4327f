package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;

import java.io.IOException;
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
        Path home = settings.home();
        long poll = settings.scaled(POLL_SECONDS);
        ServerConfig config = ServerConfig.defaults().withDataDir(home.resolve("server")).withHost("127.0.0.1")
                .withPort(0).withPollInterval(Duration.ofSeconds(poll));
        try (Server server = Server.start(config)) {
            String admin = server.initialAdminToken().orElseThrow();
            AdminApi api = new AdminApi(server.uri(), admin);
            Releases operator = releases.open(server.uri(), admin, Files.createDirectories(home.resolve("operator")));
            operator.createTrust();
            String baseTarget = publish(operator, TestImage.Behaviour.BOOT_OK, BASELINE);
            String target = publish(operator, settings.scenario().release(), RELEASE);
            SignedTargets signed = SignedTargets.parse(api.signedTargets(),
                    Map.of(baseTarget, BASELINE, target, RELEASE));
            Path root = Files.write(home.resolve("root.json"), api.metadata("1.root.json"));
            progress.accept("server " + server.uri() + "; releases " + BASELINE + " and " + RELEASE + " signed");

            Fleet.Provisioning p = new Fleet.Provisioning(server.uri(), api.enrollmentToken(settings.devices()), root,
                    HARDWARE, BASELINE, settings.imageBytes(), poll);
            Instant deadline = Instant.now().plus(settings.deadline());
            LongSupplier millis = () -> (System.nanoTime() - started) / 1_000_000;
            try (Fleet fleet = Fleet.start(home.resolve("boards"), settings.devices(), p, RELEASE, signed,
                    new Random(settings.seed()), millis)) {
                awaitEnrolled(api, deadline);
                progress.accept(settings.devices() + " boards enrolled on " + BASELINE + "; rolling out " + RELEASE);
                String rolloutId = api.createRollout(rollout(target));
                RolloutWatch watch = new RolloutWatch(api, rolloutId, fleet, progress, millis);
                boolean settled = watch.awaitSettled(deadline);
                settled &= awaitQueuesEmpty(fleet, deadline);
                fleet.stop(Duration.ofSeconds(30));
                long end = millis.getAsLong();
                Report report = Report.build(settings, fleet, signed, api, watch.last(), settled, end / 1000.0);
                byte[] svg = Timeline.svg(settings.scenario().id() + ": " + settings.devices() + " boards, release "
                        + RELEASE + " over " + BASELINE, fleet.boards().stream().map(b -> b.record().changes()).toList(),
                        end, watch.markers());
                return new Outcome(report, svg);
            }
        }
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
