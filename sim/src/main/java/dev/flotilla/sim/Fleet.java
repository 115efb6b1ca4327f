package dev.flotilla.sim;

import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.net.DeviceHttp;
import dev.flotilla.agent.net.DeviceIdentity;
import dev.flotilla.agent.runtime.AgentPorts;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.core.tls.CaBundle;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;

/**
 * The simulated boards of one run, each on its own virtual thread: a {@link SimulatedDevice} (the real
 * agent, simulated boot control, file slots; all boards' agents share one HTTP client, each through its own
 * {@link Link}, and make their threads virtual) with a {@link DeviceRecord} watching it from outside and a
 * {@link RecordingDurable} under its storage. Each board's agent log goes to {@code agent.log} in its folder,
 * with the fleet's own lines: what the run's seed decided for the board ({@value #SWITCHED_ON} and
 * {@value #CUT_PLANNED}, {@code %d} the number drawn; one seed writes the same lines) and why a board's thread
 * ended by itself.
 */
final class Fleet implements AutoCloseable {
    /**
     * One board of the fleet; {@code power} is null when the scenario cuts no power; {@code link} is its network
     * to the device API (an {@link Outage} takes it down).
     */
    record Board(SimulatedDevice device, DeviceRecord record, RecordingDurable storage, Power power, Link link,
                 Path dir, AtomicBoolean quit) {
        /** The board's log file, in its folder. */
        static final String LOG = "agent.log";

        /** The id the server gave it (empty before it enrolled). */
        Optional<String> deviceId() throws IOException {
            return new DeviceIdentity(dir.resolve("state"), new FileDurable()).deviceId();
        }
    }

    /**
     * Where boards come from: server, enrollment, trust, firmware and timing; {@code caBundle} is the PEM file of
     * CAs the boards check an HTTPS server against (null: the JDK's).
     */
    record Provisioning(URI server, String enrollmentToken, Path trustedRoot, String hardware, String factoryVersion,
                        int imageBytes, long pollSeconds, int trialTries, long healthGraceSeconds, Duration watchdog,
                        Path caBundle) {
    }

    /** Boards switched on per second at most (a fleet powers on over a while, not all in one instant). */
    static final int BOOTS_PER_SECOND = 20;
    /** A board's log line: how long after the fleet's start it is switched on (drawn from the seed). */
    static final String SWITCHED_ON = "seed: switched on after %d ms";
    /** A board's log line: before which of its next storage operations its power is cut (drawn from the seed). */
    static final String CUT_PLANNED = "seed: power cut planned before storage operation %d from now";
    private final List<Board> boards = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    /** The boards' shared HTTP client, measured. */
    private final MeasuredHttp http;
    /** The ports all boards share: one HTTP client, virtual threads. */
    private final AgentPorts ports;
    private final long startedNanos = System.nanoTime();
    private volatile long stoppedNanos;
    private volatile boolean stopping;

    private Fleet(SSLContext tls) {
        http = new MeasuredHttp(SimulatedBoard.sharedClient(tls));
        ports = SimulatedBoard.sharedPorts(Clock.systemUTC(), http);
    }

    /**
     * Lays out {@code count} boards under {@code home} and starts them, each after a delay drawn from
     * {@code random} within one poll interval or {@code count / BOOTS_PER_SECOND} seconds, whichever is
     * longer (so enrollments and check-ins spread out as in a real fleet).
     */
    static Fleet start(Path home, int count, Provisioning p, boolean powerCuts, SignedTargets signed,
                       RandomGenerator random, LongSupplier millis) throws IOException {
        Fleet fleet = new Fleet(p.caBundle() == null ? null : CaBundle.sslContext(p.caBundle()));
        long window = 1000 * Math.max(p.pollSeconds(), count / BOOTS_PER_SECOND);
        for (int i = 1; i <= count; i++) {
            String name = String.format("board-%05d", i);
            Path dir = home.resolve(name);
            SimulatedDevice.provision(dir, p.server(), p.enrollmentToken(), p.trustedRoot(), p.hardware(),
                    p.factoryVersion(), p.imageBytes(), p.pollSeconds(), p.trialTries(), p.healthGraceSeconds(),
                    p.caBundle());
            DeviceRecord record = new DeviceRecord(name, dir, signed, millis);
            Path queue = dir.resolve("state/state/events");
            Power power = powerCuts ? new Power(queue) : null;
            RecordingDurable storage = power != null ? power.recorded() : new RecordingDurable(new FileDurable(), queue);
            Path log = dir.resolve(Board.LOG);
            Link link = new Link(fleet.http);
            SimulatedDevice device = new SimulatedDevice(dir, new DirectorAssignmentAdapter(Clock.systemUTC()),
                    line -> append(log, line), List.of(record), fleet.ports.withHttp(DeviceHttp.over(link)),
                    power != null ? power : () -> storage, record, p.watchdog());
            Board board = new Board(device, record, storage, power, link, dir, new AtomicBoolean());
            fleet.boards.add(board);
            long delay = (long) (random.nextDouble() * window);
            fleet.threads.add(Thread.ofVirtual().name(name).start(() -> fleet.life(board, delay, log)));
        }
        return fleet;
    }

    private void life(Board board, long delayMillis, Path log) {
        append(log, SWITCHED_ON.formatted(delayMillis));
        try {
            Thread.sleep(delayMillis);
            board.device().run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | Error e) {
            append(log, "board stopped: " + e);
        }
        if (!stopping) {
            board.quit().set(true); // the agent ended by itself (refused, decommissioned, a boot loop)
        }
    }

    /** Boards whose agent ended by itself, not because the run stopped it. */
    int quit() {
        return (int) boards.stream().filter(b -> b.quit().get()).count();
    }

    private static void append(Path log, String line) {
        try {
            Files.writeString(log, java.time.Instant.now() + " " + line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // a log line lost is not a simulation result
        }
    }

    List<Board> boards() {
        return List.copyOf(boards);
    }

    /**
     * Plans one power cut on each board (of a fleet with power cuts), just before a storage operation drawn
     * from 1 to {@code withinOperations} from now, the boards in order, and says so in the board's log.
     */
    void planPowerCuts(RandomGenerator random, int withinOperations) {
        for (Board b : boards) {
            if (b.power() != null) {
                int k = 1 + random.nextInt(withinOperations);
                b.power().cutAfter(k);
                append(b.dir().resolve(Board.LOG), CUT_PLANNED.formatted(k));
            }
        }
    }

    /** Power cuts that happened on all boards. */
    int powerCuts() {
        return boards.stream().filter(b -> b.power() != null).mapToInt(b -> b.power().cuts()).sum();
    }

    /** Whether every board's report queue is empty. */
    boolean queuesEmpty() throws IOException {
        for (Board b : boards) {
            if (!b.storage().queueEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Boards mid-update now (between starting a download and the update's end). */
    int updating() {
        return (int) boards.stream().map(Board::record).filter(DeviceRecord::updating).count();
    }

    /** The boards' requests so far, as their shared HTTP client saw them. */
    MeasuredHttp.Figures requests() {
        return http.figures();
    }

    /** Wall seconds from the fleet's start until it stopped (or until now). */
    double seconds() {
        long end = stoppedNanos != 0 ? stoppedNanos : System.nanoTime();
        return (end - startedNanos) / 1e9;
    }

    /** Whether no board is mid-update (between starting a download and its commit, rollback or failure). */
    boolean noneUpdating() {
        return updating() == 0;
    }

    /** Stops every board and waits (up to {@code wait} in all) for their threads. */
    void stop(Duration wait) throws InterruptedException {
        stopping = true;
        if (stoppedNanos == 0) {
            stoppedNanos = System.nanoTime();
        }
        boards.forEach(b -> b.device().stop());
        long end = System.nanoTime() + wait.toNanos();
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left > 0) {
                t.join(Duration.ofNanos(left));
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stop(Duration.ofSeconds(30));
        } finally {
            http.shutdownNow(); // the boards are stopped: nothing in flight is still wanted
        }
    }
}
