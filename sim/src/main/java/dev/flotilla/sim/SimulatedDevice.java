package dev.flotilla.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.boot.SimulatedBootloader;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.install.DirectorVerifier;
import dev.flotilla.agent.runtime.Agent;
import dev.flotilla.agent.runtime.AgentPorts;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.storage.PowerCut;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.update.AgentListener;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A simulated board ({@link SimulatedBoard}: two file slots, a U-Boot-style boot environment in a file, a
 * simulated bootloader that runs the test image's behaviour) running the real agent. {@link #run()} is the board's life: boot (resetting
 * on a crash or hang until the bootloader falls back), start the agent, and when the agent asks for a
 * reboot, boot again — each start a fresh {@link Agent}, as after a real reboot nothing survives in memory.
 *
 * <p>A test image that boots but fails its health check is modelled by a file the "image" writes at boot
 * ({@code image-health}: {@code ok} or {@code fail}) and a configured health command that reads it, so the
 * agent's real command-check path decides.
 *
 * <p>A power cut (the storage throws {@link PowerCut}, an {@link Error} the agent does not catch) ends the
 * boot the same way a reboot does: the board boots again and a fresh agent resumes from what was durable.
 */
public final class SimulatedDevice {
    private static final int MAX_BOOTS = 10;

    private final Path dir;
    private final DirectorVerifier director;
    private final Consumer<String> log;
    private final List<AgentListener> listeners;
    /** The ports of the board's agents, from its configuration (the same for every boot). */
    private final Function<AgentConfig, AgentPorts> ports;
    private final Supplier<Durable> storage;
    private final Observer observer;
    /** How long an image that hangs on boot keeps the board down before the watchdog resets it. */
    private final Duration watchdog;
    private volatile Agent current;
    private volatile boolean stopped;

    /** Rounds of health checks after a commit (one per check-in). */
    static final int POST_COMMIT_ROUNDS = 6;

    /**
     * Lays out a new board in {@code dir} (when it has no {@code agent.conf} yet; see
     * {@link SimulatedBoard#layOut(Path, String, int)}): slot A holds a good factory image of
     * {@code factoryVersion}, slot B is empty, the boot environment boots A.
     */
    public static Path provision(Path dir, URI server, String enrollmentToken, Path trustedRoot, String hardwareId,
                                 String factoryVersion, int imageBytes) throws IOException {
        return provision(dir, server, enrollmentToken, trustedRoot, hardwareId, factoryVersion, imageBytes, null);
    }

    /**
     * As {@link #provision(Path, URI, String, Path, String, String, int)}, the board checking an HTTPS server
     * against the CAs in {@code caBundle} (its configuration's {@code caBundle}, absolute; null: the JDK's CAs).
     */
    public static Path provision(Path dir, URI server, String enrollmentToken, Path trustedRoot, String hardwareId,
                                 String factoryVersion, int imageBytes, Path caBundle) throws IOException {
        return provision(dir, server, enrollmentToken, trustedRoot, hardwareId, factoryVersion, imageBytes, 2, 1, 0,
                caBundle);
    }

    /**
     * As {@link #provision(Path, URI, String, Path, String, String, int)}, polling every {@code pollSeconds},
     * and booting a new image on trial {@code trialTries} times before the bootloader falls back.
     */
    public static Path provision(Path dir, URI server, String enrollmentToken, Path trustedRoot, String hardwareId,
                                 String factoryVersion, int imageBytes, long pollSeconds, int trialTries)
            throws IOException {
        return provision(dir, server, enrollmentToken, trustedRoot, hardwareId, factoryVersion, imageBytes,
                pollSeconds, trialTries, 0);
    }

    /**
     * As {@link #provision(Path, URI, String, Path, String, String, int, long, int)}, with a grace period of
     * {@code healthGraceSeconds} for the trial's health checks (a failed round is retried every poll interval
     * until it is over; 0: one failed round rolls back).
     */
    public static Path provision(Path dir, URI server, String enrollmentToken, Path trustedRoot, String hardwareId,
                                 String factoryVersion, int imageBytes, long pollSeconds, int trialTries,
                                 long healthGraceSeconds) throws IOException {
        return provision(dir, server, enrollmentToken, trustedRoot, hardwareId, factoryVersion, imageBytes,
                pollSeconds, trialTries, healthGraceSeconds, null);
    }

    /**
     * As {@link #provision(Path, URI, String, Path, String, String, int, long, int, long)}, the board checking an
     * HTTPS server against the CAs in {@code caBundle} (its configuration's {@code caBundle}, absolute; null: the
     * JDK's CAs).
     */
    public static Path provision(Path dir, URI server, String enrollmentToken, Path trustedRoot, String hardwareId,
                                 String factoryVersion, int imageBytes, long pollSeconds, int trialTries,
                                 long healthGraceSeconds, Path caBundle) throws IOException {
        if (Files.exists(SimulatedBoard.at(dir).configFile())) {
            return SimulatedBoard.at(dir).configFile();
        }
        SimulatedBoard board = SimulatedBoard.layOut(dir, factoryVersion, imageBytes);
        Files.copy(trustedRoot, board.trustedRoot());
        ObjectNode c = board.config(server, enrollmentToken, hardwareId, factoryVersion, trialTries);
        if (caBundle != null) {
            c.put("caBundle", caBundle.toAbsolutePath().toString());
        }
        ObjectNode health = c.putObject("health");
        health.put("minimumUptimeSeconds", 0);
        // a simulated board has no flaky link to wait for: unless told otherwise, a bad image rolls back after
        // one failed round
        health.put("graceSeconds", healthGraceSeconds);
        if (healthGraceSeconds > 0) {
            health.put("retryIntervalSeconds", pollSeconds);
        }
        // after a commit, six rounds of checks (one per check-in) as the agent's default does at its default poll
        // interval: the default's 30 minutes would be hundreds of rounds, each a log-in and a process, at the
        // simulator's faster polls
        health.put("postCommitSeconds", POST_COMMIT_ROUNDS * pollSeconds);
        ArrayNode cmd = health.putArray("commands").addObject().put("timeoutSeconds", 10).putArray("command");
        cmd.add("sh").add("-c").add("test \"$(cat '" + dir.resolve("image-health").toAbsolutePath() + "')\" = ok");
        c.putObject("poll").put("intervalSeconds", pollSeconds).put("jitter", 0.2).put("minBackoffSeconds", 1)
                .put("maxBackoffSeconds", Math.max(pollSeconds, 10));
        return board.writeConfig(c);
    }

    public SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log) {
        this(dir, director, log, List.of());
    }

    /** A board whose agents (one per boot) also tell {@code listeners} what they do. */
    public SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log,
                           List<? extends AgentListener> listeners) {
        this(dir, director, log, listeners, Clock.systemUTC());
    }

    /**
     * A board whose agents read the time from {@code clock} (for metadata expiry, maintenance windows), with
     * ports of its own, as a device process builds them from its configuration ({@link AgentPorts#forDevice}:
     * its HTTP client trusts the {@code caBundle} the configuration names).
     */
    public SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log,
                           List<? extends AgentListener> listeners, Clock clock) {
        this(dir, director, log, listeners, config -> AgentPorts.forDevice(config).withClock(clock),
                FileDurable::new, Observer.NONE);
    }

    /**
     * A board whose agents reach the world through {@code ports} (which many boards may share), but do their
     * storage operations through {@code storage} (asked once per boot, so the simulator can record or cut
     * them there, and retire a storage whose power was cut), and whose boots and power cuts {@code observer}
     * sees.
     */
    public SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log,
                           List<? extends AgentListener> listeners, AgentPorts ports, Supplier<Durable> storage,
                           Observer observer) {
        this(dir, director, log, listeners, ports, storage, observer, Duration.ZERO);
    }

    /**
     * As {@link #SimulatedDevice(Path, DirectorVerifier, Consumer, List, AgentPorts, Supplier, Observer)}, where
     * an image that hangs on boot keeps the board down for {@code watchdog} (of wall time) before the watchdog
     * resets it.
     */
    public SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log,
                           List<? extends AgentListener> listeners, AgentPorts ports, Supplier<Durable> storage,
                           Observer observer, Duration watchdog) {
        this(dir, director, log, listeners, config -> ports, storage, observer, watchdog);
    }

    private SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log,
                            List<? extends AgentListener> listeners, Function<AgentConfig, AgentPorts> ports,
                            Supplier<Durable> storage, Observer observer) {
        this(dir, director, log, listeners, ports, storage, observer, Duration.ZERO);
    }

    private SimulatedDevice(Path dir, DirectorVerifier director, Consumer<String> log,
                            List<? extends AgentListener> listeners, Function<AgentConfig, AgentPorts> ports,
                            Supplier<Durable> storage, Observer observer, Duration watchdog) {
        this.watchdog = watchdog;
        this.storage = storage;
        this.observer = observer;
        this.dir = dir;
        this.ports = ports;
        this.director = director;
        this.log = log;
        this.listeners = List.copyOf(listeners);
    }

    /** Runs the board until {@link #stop()}: boot, agent, reboot, and so on. */
    public void run() throws IOException, InterruptedException {
        SimulatedBoard board = SimulatedBoard.at(dir);
        AgentConfig config = AgentConfigParser.parse(board.configFile(), Map.of());
        AgentPorts boardPorts = ports.apply(config);
        SimulatedBootloader bootloader = board.bootloader();
        while (!stopped) {
            SimulatedBootloader.Outcome.Running running = boot(board, bootloader);
            Files.writeString(dir.resolve("image-health"),
                    running.image().behaviour() == TestImage.Behaviour.FAIL_HEALTH_CHECK ? "fail" : "ok",
                    StandardCharsets.UTF_8);
            log.accept("booted slot " + running.slot() + " (firmware " + running.image().version() + ")");
            observer.booted(running.slot(), board.slot(running.slot()), running.image());
            Agent agent = new Agent(config, boardPorts.withDurable(storage.get()), director, log, listeners);
            current = agent;
            if (stopped) {
                return;
            }
            Agent.Exit exit;
            try {
                agent.firstStart();
                agent.assemble();
                exit = agent.run();
            } catch (PowerCut cut) {
                // the board lost power: nothing of this boot survives but what its storage made durable
                log.accept(cut.getMessage() + ": power back on, booting");
                continue;
            }
            if (exit != Agent.Exit.REBOOT_REQUESTED) {
                // stopped, or decommissioned: the board's agent stays down, as under systemd (exit 77)
                return;
            }
            log.accept("rebooting");
        }
    }

    /**
     * Boots until an image runs, at most {@value #MAX_BOOTS} times; an image that hangs keeps the board down
     * for the watchdog's time before the reset.
     *
     * @throws IllegalStateException when no boot ran an image (a boot loop)
     */
    private SimulatedBootloader.Outcome.Running boot(SimulatedBoard board, SimulatedBootloader bootloader)
            throws IOException, InterruptedException {
        for (int i = 0; i < MAX_BOOTS; i++) {
            SimulatedBootloader.Outcome o = bootloader.boot();
            if (o instanceof SimulatedBootloader.Outcome.Running running) {
                return running;
            }
            Path slot = board.slot(o.slot());
            boolean hung = TestImage.read(slot).map(h -> h.behaviour() == TestImage.Behaviour.HANG).orElse(false);
            if (hung && !watchdog.isZero()) {
                Thread.sleep(watchdog); // the image hangs: nothing runs until the watchdog fires
            }
            String why = ((SimulatedBootloader.Outcome.Failed) o).why();
            log.accept("boot of slot " + o.slot() + " failed (" + why + "): reset");
            observer.bootFailed(o.slot(), slot, why);
        }
        throw new IllegalStateException("boot loop: no image ran in " + MAX_BOOTS + " boots");
    }

    /** Sees the board's boots (on the board's thread; must return quickly and not throw). */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        /** An image started from {@code slot} ({@code slotFile}). */
        default void booted(String slot, Path slotFile, TestImage.Header image) {
        }

        /** A boot of {@code slot} failed: the image crashed, hung or was not loadable; the board resets. */
        default void bootFailed(String slot, Path slotFile, String why) {
        }
    }

    /** Stops the agent loop (a running check-in finishes first). */
    public void stop() {
        stopped = true;
        Agent a = current;
        if (a != null) {
            a.stop();
        }
    }
}
