package dev.flotilla.agent.update;

import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.boot.EnvBootControl;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.boot.SimulatedBootloader;
import dev.flotilla.agent.counter.AntiRollbackCounter;
import dev.flotilla.agent.slots.Slot;
import dev.flotilla.agent.slots.Slots;
import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.storage.PowerCut;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.crypto.Digests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A simulated device for the update tests: a {@link SimulatedBoard} (two file slots, the simulated bootloader
 * with a state-file environment), the agent's state directory, and a loop that boots, runs the agent, and reboots
 * when asked or when the power was cut.
 */
final class SimDevice {
    /** Thrown by the simulated reboot command: unwinds the agent like a real restart would. */
    static final class SimulatedReboot extends Error {
        SimulatedReboot() {
            super("reboot", null, false, false);
        }
    }

    final Path dir;
    final SimulatedBoard board;
    final Map<String, Path> slotFiles;
    final SimulatedBootloader bootloader;
    final Set<String> verifiedHashes;
    final FakeSource source;
    final FakeReporter reporter = new FakeReporter();
    final List<String> problems = new ArrayList<>();
    final List<String> bootLog = new ArrayList<>();
    UpdateMachine.Settings settings = new UpdateMachine.Settings(3, 5, 16 * 1024, 100);
    List<HealthCheck> extraChecks = List.of();
    /** When set, the health checks run with this timing on the real clock (else one round, no waiting). */
    HealthChecks.Timing healthTiming;
    /** When set (with {@link #healthTiming}), the uptime and sleeper of the health checks instead of the real clock. */
    java.util.function.LongSupplier healthUptime;
    HealthChecks.Sleeper healthSleeper;
    AgentListener listener = AgentListener.NONE;
    /** The board's clock (signed install windows, the post-commit health watch). */
    java.time.Clock clock = java.time.Clock.systemUTC();
    int boots;
    int runs;

    SimDevice(Path dir, byte[] installed, FakeSource source) throws IOException {
        this.board = SimulatedBoard.layOut(dir, installed);
        this.dir = dir;
        this.slotFiles = board.slots();
        this.bootloader = board.bootloader();
        this.source = source;
        this.verifiedHashes = Set.of(Digests.sha256Hex(installed), source.assignment().sha256());
        source.device = this;
    }

    EnvBootControl boot(Durable durable) {
        return board.bootControl(durable, () -> {
            throw new SimulatedReboot();
        });
    }

    UpdateMachine machine(Durable durable) throws IOException {
        BootControl boot = boot(durable);
        Slots slots = new Slots(new Slot("a", slotFiles.get("a"), 0), new Slot("b", slotFiles.get("b"), 0), boot,
                durable, 8 * 1024);
        List<HealthCheck> checks = new ArrayList<>();
        checks.add(this::builtInCheck);
        checks.addAll(extraChecks);
        HealthChecks health = healthTiming == null ? new HealthChecks(checks, Duration.ZERO, () -> 0, ms -> { })
                : healthUptime != null ? new HealthChecks(checks, healthTiming, healthUptime, healthSleeper)
                : new HealthChecks(checks, healthTiming, () -> System.nanoTime() / 1_000_000, Thread::sleep);
        UpdateMachine.Device device = new UpdateMachine.Device(slots, boot, counter(durable), health, clock);
        return new UpdateMachine(device, new StateStore(dir.resolve("state/state.json"), durable),
                new UpdateMachine.Reporting(new ReportQueue(dir.resolve("state/events"), durable), reporter, listener),
                source, settings, InstallGate.ALWAYS);
    }

    AntiRollbackCounter counter(Durable durable) {
        return new AntiRollbackCounter(dir.resolve("state/counter"), durable);
    }

    /** The built-in check of the simulation: the running image's header says whether it is healthy. */
    private HealthCheck.Result builtInCheck() throws IOException {
        TestImage.Header h = runningImage().orElseThrow();
        return h.behaviour() == TestImage.Behaviour.FAIL_HEALTH_CHECK
                ? new HealthCheck.Result.Unhealthy("built-in check: image reports unhealthy")
                : new HealthCheck.Result.Healthy();
    }

    String runningSlot() throws IOException {
        return boot(new FileDurable()).activeSlot();
    }

    Optional<TestImage.Header> runningImage() throws IOException {
        return TestImage.read(slotFiles.get(runningSlot()));
    }

    String runningVersion() throws IOException {
        return runningImage().map(TestImage.Header::version).orElse("?");
    }

    /**
     * Boots and runs the agent until it is idle with nothing to install (at most {@code maxBoots} boots
     * and {@code maxRuns} agent runs; beyond that it records a loop). A power cut reboots the device.
     */
    void live(CrashableDurable durable, int maxBoots, int maxRuns) throws Exception {
        live(durable, maxBoots, maxRuns, s -> s instanceof UpdateState.Idle && !source.wouldOffer());
    }

    /** When {@link #live} stops: after an agent run that ended in {@code s}. */
    @FunctionalInterface
    interface Settled {
        boolean test(UpdateState s) throws IOException;
    }

    /** Like {@link #live(CrashableDurable, int, int)}, but stops after the first agent run {@code settled} accepts. */
    void live(CrashableDurable durable, int maxBoots, int maxRuns, Settled settled) throws Exception {
        while (boots < maxBoots) {
            SimulatedBootloader.Outcome o = bootloader.boot();
            boots++;
            bootLog.add(o.toString());
            checkVerified(o.slot());
            if (o instanceof SimulatedBootloader.Outcome.Failed) {
                continue;
            }
            try {
                while (true) {
                    if (++runs > maxRuns) {
                        problems.add("agent loop: more than " + maxRuns + " runs");
                        return;
                    }
                    UpdateMachine m = machine(durable);
                    UpdateState s = m.run();
                    if (settled.test(s)) {
                        return;
                    }
                }
            } catch (SimulatedReboot reboot) {
                // the agent asked for a restart
            } catch (PowerCut cut) {
                durable.powerOn();
            }
        }
        problems.add("boot loop: more than " + maxBoots + " boots: " + bootLog);
    }

    /** Records a problem unless the slot holds exactly one of the verified images. */
    private void checkVerified(String slot) throws IOException {
        byte[] content = Files.readAllBytes(slotFiles.get(slot));
        Optional<TestImage.Header> h = TestImage.parse(content);
        if (h.isEmpty() || h.get().length() > content.length
                || !verifiedHashes.contains(Digests.sha256Hex(Arrays.copyOf(content, (int) h.get().length())))) {
            problems.add("booted slot " + slot + " which holds no verified image");
        }
    }
}
