package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.json.CanonicalJson;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A fleet of simulated boards on a running server, told release by release: the operator's trust and
 * releases (signed offline through {@link Releases}), the boards provisioned with the signed baseline as
 * their factory image and enrolled, then each {@link #rollOut} a staged rollout followed until it settled.
 * {@link Simulation} tells one chapter and reports it; {@code flotilla demo} tells two.
 */
public final class Story implements AutoCloseable {
    /** The firmware every board ships with (a signed release). */
    public static final String BASELINE = "1.0.0";
    static final String HARDWARE = "sim-board";

    /**
     * A fleet to set up.
     *
     * @param releases the releases to sign besides the baseline, in order: version to what its image does
     * @param trialTries boots of a new image on trial before the bootloader falls back
     * @param healthGraceSeconds how long a board on trial retries failed health checks (0: one round decides)
     * @param powerCuts whether the boards' storage can have power cuts ({@link Fleet#planPowerCuts})
     * @param watchdog how long an image that hangs on boot keeps a board down before its watchdog resets it
     */
    public record Setup(Path home, int devices, long seed, int imageBytes, long pollSeconds, int trialTries,
                        long healthGraceSeconds, boolean powerCuts, Map<String, TestImage.Behaviour> releases,
                        Duration watchdog) {
        /** A setup whose boards' watchdog resets a hung board at once. */
        public Setup(Path home, int devices, long seed, int imageBytes, long pollSeconds, int trialTries,
                     long healthGraceSeconds, boolean powerCuts, Map<String, TestImage.Behaviour> releases) {
            this(home, devices, seed, imageBytes, pollSeconds, trialTries, healthGraceSeconds, powerCuts, releases,
                    Duration.ZERO);
        }
    }

    /** How one rollout ended: the server's last view of it and when the watch saw stages start and the halt. */
    public record Chapter(String version, JsonNode rollout, boolean settled, List<Timeline.Marker> markers) {
        /** The stage (from 1) the rollout halted at, or null. */
        public Integer haltedAtStage() {
            JsonNode h = rollout.get("halt");
            return h == null ? null : h.path("stage").asInt() + 1;
        }
    }

    private final AdminApi api;
    private final SignedTargets signed;
    private final Map<String, String> targets;
    private final Fleet fleet;
    /** The run's own choices, drawn from the seed: each board's start delay, then each board's power cut. */
    private final RandomGenerator random;
    private final Consumer<String> progress;
    private final LongSupplier millis;

    private Story(AdminApi api, SignedTargets signed, Map<String, String> targets, Fleet fleet, RandomGenerator random,
                  Consumer<String> progress, LongSupplier millis) {
        this.api = api;
        this.signed = signed;
        this.targets = targets;
        this.fleet = fleet;
        this.random = random;
        this.progress = progress;
        this.millis = millis;
    }

    /**
     * Makes the trust and signs the baseline and {@code setup.releases()} on {@code server}, then starts the
     * boards (talking to {@code deviceServer}: the server, or a proxy in front of it) and waits until each
     * enrolled and checked in, at most until {@code deadline}. Every client of the story (the operator's, its
     * own API calls, the boards') checks an HTTPS server against the CAs in {@code caBundle} (null: the JDK's).
     */
    public static Story begin(URI server, String adminToken, Path caBundle, URI deviceServer,
                              Releases.Factory releases, Setup setup, Instant deadline, Consumer<String> progress,
                              LongSupplier millis) throws IOException, InterruptedException {
        AdminApi api = new AdminApi(server, adminToken, caBundle);
        Releases operator = releases.open(server, adminToken, caBundle,
                Files.createDirectories(setup.home().resolve("operator")));
        operator.createTrust();
        Map<String, TestImage.Behaviour> all = new LinkedHashMap<>();
        all.put(BASELINE, TestImage.Behaviour.BOOT_OK);
        all.putAll(setup.releases());
        Map<String, String> targets = new LinkedHashMap<>();
        for (Map.Entry<String, TestImage.Behaviour> r : all.entrySet()) {
            Path image = setup.home().resolve("firmware-" + r.getKey() + ".img");
            TestImage.write(image, r.getValue(), r.getKey(), setup.imageBytes());
            targets.put(operator.publish(image, r.getKey(), HARDWARE), r.getKey());
        }
        SignedTargets signed = SignedTargets.parse(api.signedTargets(), targets);
        Path root = Files.write(setup.home().resolve("root.json"), api.metadata("1.root.json"));
        progress.accept("releases " + String.join(", ", all.keySet()) + " signed offline and published");
        Fleet.Provisioning p = new Fleet.Provisioning(deviceServer, api.enrollmentToken(setup.devices()), root,
                HARDWARE, BASELINE, setup.imageBytes(), setup.pollSeconds(), setup.trialTries(),
                setup.healthGraceSeconds(), setup.watchdog(), caBundle);
        // not java.util.Random: its first draw is nearly the same for every small seed (0.73 for 1 to 4)
        RandomGenerator random = new SplittableRandom(setup.seed());
        Fleet fleet = Fleet.start(setup.home().resolve("boards"), setup.devices(), p, setup.powerCuts(), signed, random,
                millis);
        Story story = new Story(api, signed, inverse(targets), fleet, random, progress, millis);
        try {
            story.awaitEnrolled(setup.devices(), deadline);
        } catch (IOException | InterruptedException | RuntimeException e) {
            fleet.close();
            throw e;
        }
        progress.accept(setup.devices() + " boards booted " + BASELINE + ", made their keys and enrolled");
        return story;
    }

    private static Map<String, String> inverse(Map<String, String> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(v, k));
        return out;
    }

    /**
     * Rolls {@code version} out to every board in stages: 1% of the fleet rounded down (at least one board, so
     * a fleet of 70 or more keeps it at most 1.5%), then 10%, 50% and 100%; a failure-rate gate of at most 1%
     * once one board has a verdict; {@code soakSeconds} per stage, {@code timeoutSeconds} per board; halting
     * reverts; it supersedes an earlier chapter's rollout. Waits until it settled and every board's reports reached the server, at most until
     * {@code deadline}.
     */
    public Chapter rollOut(String version, long soakSeconds, long timeoutSeconds, Instant deadline)
            throws IOException, InterruptedException {
        return rollOut(version, soakSeconds, timeoutSeconds, deadline, RolloutWatch.Disruption.NONE, null);
    }

    /**
     * As {@link #rollOut(String, long, long, Instant)}, with {@code disruption} called at each look while it runs
     * (and, if it {@linkplain RolloutWatch.Disruption#preparesStart prepares the start}, between the rollout's
     * creation and its start), and at most {@code maxConcurrentDownloads} boards handed the release at once (null: no limit).
     */
    Chapter rollOut(String version, long soakSeconds, long timeoutSeconds, Instant deadline,
                    RolloutWatch.Disruption disruption, Integer maxConcurrentDownloads)
            throws IOException, InterruptedException {
        boolean prepared = disruption.preparesStart();
        ObjectNode body = CanonicalJson.mapper().createObjectNode().put("target", targets.get(version))
                .put("start", !prepared).put("supersede", true);
        body.putObject("selection").put("hardwareId", HARDWARE);
        ObjectNode plan = body.putObject("plan");
        var stages = plan.putArray("stages");
        stages.addObject().put("count", firstStage(fleet.boards().size()));
        stages.addObject().put("percent", 10);
        stages.addObject().put("percent", 50);
        stages.addObject().put("percent", 100);
        plan.put("soakSeconds", soakSeconds).put("timeoutSeconds", timeoutSeconds);
        plan.putObject("gates").putObject("failureRate").put("max", 0.01).put("minDevices", 1);
        ObjectNode policies = body.putObject("policies").put("onHalt", "revert");
        if (maxConcurrentDownloads != null) {
            policies.put("maxConcurrentDownloads", maxConcurrentDownloads);
        }
        String id = api.createRollout(body);
        if (prepared) {
            disruption.created(id);
            api.act(id, "start");
        }
        RolloutWatch watch = new RolloutWatch(api, id, fleet, progress, millis, disruption);
        boolean settled = watch.awaitSettled(deadline) && awaitQueuesEmpty(deadline);
        return new Chapter(version, watch.last(), settled, watch.markers());
    }

    /** The first stage's size for a fleet of {@code boards}: 1% rounded down, at least one board. */
    static int firstStage(int boards) {
        return Math.max(1, boards / 100);
    }

    /** Plans one power cut on each board, before one of its next {@code withinOperations} storage operations. */
    public void planPowerCuts(int withinOperations) {
        fleet.planPowerCuts(random, withinOperations);
    }

    /** Boards whose next power-on runs {@code version}, verified against the signed targets. */
    public int running(String version) throws IOException {
        int n = 0;
        for (Fleet.Board b : fleet.boards()) {
            n += version.equals(Inspection.of(b.dir(), signed).version()) ? 1 : 0;
        }
        return n;
    }

    /** Boards that ever tried to boot {@code version} (a crash on boot counts). */
    public int tried(String version) {
        return (int) fleet.boards().stream().filter(b -> b.record().tried(version)).count();
    }

    Fleet fleet() {
        return fleet;
    }

    SignedTargets signed() {
        return signed;
    }

    AdminApi api() {
        return api;
    }

    private void awaitEnrolled(int devices, Instant deadline) throws IOException, InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            long seen = api.devices("hardwareId=" + HARDWARE).stream().filter(d -> d.hasNonNull("lastSeenAt")).count();
            if (seen >= devices) {
                return;
            }
            if (seen + fleet.quit() >= devices) {
                progress.accept(fleet.quit() + " board(s) gave up before checking in (see the report's quitBoards)");
                return;
            }
            Thread.sleep(500);
        }
        throw new IOException("the boards did not all enroll and check in in time");
    }

    private boolean awaitQueuesEmpty(Instant deadline) throws IOException, InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            if (fleet.queuesEmpty()) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** Stops the boards (waiting up to 30 s for them). */
    @Override
    public void close() throws InterruptedException {
        fleet.stop(Duration.ofSeconds(30));
    }
}
