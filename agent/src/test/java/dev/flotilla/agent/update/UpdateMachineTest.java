package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.testimage.TestImage.Behaviour;
import dev.flotilla.core.crypto.Digests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole updates on a simulated device with real files: the good path, the failure paths, the queue. */
class UpdateMachineTest {
    static final byte[] V1 = TestImage.create(Behaviour.BOOT_OK, "1.0.0", 30_000);

    @TempDir
    Path dir;

    private SimDevice device(Behaviour behaviour, long securityVersion) throws Exception {
        return device(behaviour, securityVersion, 1);
    }

    private SimDevice device(Behaviour behaviour, long securityVersion, int maxOffers) throws Exception {
        byte[] v2 = TestImage.create(behaviour, "2.0.0", 50_000);
        return new SimDevice(dir, V1, new FakeSource(v2, "2.0.0", securityVersion, maxOffers));
    }

    private static List<String> labels(SimDevice d) {
        return d.reporter.received.stream().map(e -> e.state() + "/" + e.reason()).toList();
    }

    @Test
    void goodImageIsInstalledTrialBootedCheckedAndCommittedWithSuccessReportedLast() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        assertThat(labels(d)).containsExactly("DOWNLOADING/ASSIGNMENT_RECEIVED", "VERIFYING/DOWNLOADED",
                "INSTALLING/VERIFIED", "INSTALLED/TRIAL_ARMED", "REBOOTING/REBOOT_REQUESTED",
                "TRIAL/BOOTED_NEW_SLOT", "HEALTH_CHECK/HEALTH_CHECK_STARTED", "COMMITTED/HEALTH_CHECKS_PASSED",
                "IDLE/UPDATE_SUCCEEDED");
        assertThat(d.reporter.received).extracting(Event::eventId).doesNotHaveDuplicates();
        assertThat(d.reporter.received.get(8).version()).isEqualTo("2.0.0");
        assertThat(d.counter(durable).current()).isEqualTo(4);
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
        assertThat(Files.readAllBytes(d.slotFiles.get("a"))).as("old slot untouched").isEqualTo(V1);
    }

    @Test
    void counterIsRaisedOnlyAtTheCommit() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        CrashableDurable durable = new CrashableDurable();
        d.bootloader.boot();
        try {
            d.machine(durable).run();
        } catch (SimDevice.SimulatedReboot expected) {
            // the agent rebooted into the trial
        }
        assertThat(d.counter(durable).current()).isZero();
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isTrue();
    }

    @Test
    void imageThatCrashesOnBootEndsRolledBackByTheBootloaderFallback() throws Exception {
        SimDevice d = device(Behaviour.CRASH_ON_BOOT, 4);
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 10, 10);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(labels(d)).endsWith("ROLLED_BACK/BOOT_FAILED", "IDLE/UPDATE_ROLLED_BACK");
        assertThat(d.bootLog).filteredOn(b -> b.contains("kernel panic")).hasSize(3);
        assertThat(d.counter(durable).current()).isZero();
    }

    @Test
    void imageThatHangsEndsRolledBack() throws Exception {
        SimDevice d = device(Behaviour.HANG, 4);
        d.live(new CrashableDurable(), 10, 10);
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(labels(d)).contains("ROLLED_BACK/BOOT_FAILED");
    }

    @Test
    void failedHealthCheckMarksTheSlotBadAndRebootsIntoTheOldOne() throws Exception {
        SimDevice d = device(Behaviour.FAIL_HEALTH_CHECK, 4);
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 10, 10);
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(labels(d)).endsWith("HEALTH_CHECK/HEALTH_CHECK_STARTED", "ROLLING_BACK/HEALTH_CHECK_FAILED",
                "ROLLED_BACK/HEALTH_CHECK_FAILED", "IDLE/UPDATE_ROLLED_BACK");
        assertThat(d.counter(durable).current()).isZero();
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
    }

    @Test
    void configuredHealthCommandThatFailsRollsBack() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.extraChecks = List.of(new CommandCheck(List.of("sh", "-c", "exit 3"), java.time.Duration.ofSeconds(5)));
        d.live(new CrashableDurable(), 10, 10);
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(d.reporter.received).anyMatch(e -> e.state().equals("ROLLING_BACK")
                && e.detail().equals("sh exited 3"));
        // the rollback event names each check with its reason code
        Event rollingBack = d.reporter.received.stream().filter(e -> e.state().equals("ROLLING_BACK")).findFirst()
                .orElseThrow();
        assertThat(rollingBack.checks()).containsExactly(new HealthReport.Check("check-1", true, "OK", ""),
                new HealthReport.Check("sh", false, "EXIT_NONZERO", "sh exited 3"));
    }

    @Test
    void afterTheCommitTheChecksKeepRunningAndAFailureIsReportedOnceAsHealthFailedWithItsChecks() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.settings = new UpdateMachine.Settings(3, 5, 16 * 1024, 100, java.time.Duration.ofMinutes(30));
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
        HealthCheck app = new HealthCheck() {
            @Override
            public Result run() {
                rounds.incrementAndGet();
                return broken.get() ? new Result.Unhealthy("APP_DOWN", "app not answering") : new Result.Healthy();
            }

            @Override
            public String name() {
                return "app";
            }
        };
        d.extraChecks = List.of(app);
        java.time.Instant t0 = java.time.Instant.parse("2026-06-01T12:00:00Z");
        d.clock = java.time.Clock.fixed(t0, java.time.ZoneOffset.UTC);
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        assertThat(labels(d)).endsWith("IDLE/UPDATE_SUCCEEDED");

        UpdateMachine m = d.machine(durable);
        assertThat(m.health()).isEqualTo(HealthReport.UNKNOWN); // a new process: no round yet
        m.run();
        assertThat(m.health().state()).isEqualTo(HealthReport.State.OK);
        broken.set(true);
        m.run();
        m.run(); // still failing: reported once
        assertThat(m.health().state()).isEqualTo(HealthReport.State.FAILING);
        assertThat(m.health().checks()).contains(new HealthReport.Check("app", false, "APP_DOWN", "app not answering"));
        List<Event> failed = d.reporter.received.stream().filter(e -> e.reason() == ReasonCode.HEALTH_FAILED).toList();
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).assignmentId()).isEqualTo("as-2.0.0");
        assertThat(failed.get(0).detail()).isEqualTo("app not answering");
        assertThat(failed.get(0).checks()).contains(new HealthReport.Check("app", false, "APP_DOWN", "app not answering"));
        assertThat(dev.flotilla.agent.net.EventReporter.type(failed.get(0))).isEqualTo("health_failed");

        // recovered, then failing again: a second report; the watch survives a restart
        broken.set(false);
        d.machine(durable).run();
        broken.set(true);
        d.machine(durable).run();
        assertThat(d.reporter.received.stream().filter(e -> e.reason() == ReasonCode.HEALTH_FAILED)).hasSize(2);

        // after the post-commit period no round runs and the watch is gone
        d.clock = java.time.Clock.fixed(t0.plus(java.time.Duration.ofMinutes(31)), java.time.ZoneOffset.UTC);
        int before = rounds.get();
        d.machine(durable).run();
        d.machine(durable).run();
        assertThat(rounds.get()).isEqualTo(before);
        assertThat(new StateStore(dir.resolve("state/state.json"), durable).load().watch()).isNull();
        assertThat(d.runningVersion()).isEqualTo("2.0.0"); // reported, not rolled back: the commit stands
    }

    /**
     * A rollout counts the device's health for its stage's soak time after the commit; signed into the
     * assignment, a soak longer than the device's own post-commit period keeps the rounds running until it
     * ends, and a shorter one does not cut the period short.
     */
    @Test
    void aSignedSoakLongerThanThePostCommitPeriodKeepsTheChecksRunningUntilTheSoakEnds() throws Exception {
        java.time.Instant t0 = java.time.Instant.parse("2026-06-01T12:00:00Z");
        assertThat(roundsAfterACommitWithSoak(7200, t0.plus(java.time.Duration.ofMinutes(31)))).as("past postCommit")
                .isPositive();
        assertThat(roundsAfterACommitWithSoak(7200, t0.plus(java.time.Duration.ofMinutes(119)))).as("in the soak")
                .isPositive();
        assertThat(roundsAfterACommitWithSoak(7200, t0.plus(java.time.Duration.ofMinutes(121)))).as("past the soak")
                .isZero();
        assertThat(roundsAfterACommitWithSoak(600, t0.plus(java.time.Duration.ofMinutes(29))))
                .as("a short soak leaves postCommit").isPositive();
        assertThat(roundsAfterACommitWithSoak(600, t0.plus(java.time.Duration.ofMinutes(31)))).isZero();
    }

    /**
     * Commits an assignment signed with {@code soakSeconds} at 12:00 on a device whose post-commit period is 30
     * minutes, then runs the machine twice at {@code at}: the rounds of health checks those runs made (after
     * the last, a watch that ended is gone from the stored state).
     */
    private int roundsAfterACommitWithSoak(long soakSeconds, java.time.Instant at) throws Exception {
        Path home = Files.createTempDirectory(dir, "soak");
        byte[] v2 = TestImage.create(Behaviour.BOOT_OK, "2.0.0", 50_000);
        Assignment a = new Assignment("as-2.0.0", "fw-2.img", "2.0.0", v2.length, Digests.sha256Hex(v2), 4, false, 1,
                false, false, null, soakSeconds);
        SimDevice d = new SimDevice(home, V1, new FakeSource(a, v2, 1));
        d.settings = new UpdateMachine.Settings(3, 5, 16 * 1024, 100, java.time.Duration.ofMinutes(30));
        java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
        d.extraChecks = List.of(() -> {
            rounds.incrementAndGet();
            return new HealthCheck.Result.Healthy();
        });
        d.clock = java.time.Clock.fixed(java.time.Instant.parse("2026-06-01T12:00:00Z"), java.time.ZoneOffset.UTC);
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        assertThat(labels(d)).endsWith("IDLE/UPDATE_SUCCEEDED");
        d.clock = java.time.Clock.fixed(at, java.time.ZoneOffset.UTC);
        int before = rounds.get();
        d.machine(durable).run();
        d.machine(durable).run();
        int ran = rounds.get() - before;
        StateStore.HealthWatch watch = new StateStore(home.resolve("state/state.json"), durable).load().watch();
        assertThat(watch == null).as("the watch is gone exactly when no round ran").isEqualTo(ran == 0);
        return ran;
    }

    /**
     * After the commit a failure counts only once it lasted the health grace period, as in a trial: a check
     * whose answer was lost once (the server-reached check on a flaky network) must not count against a good
     * release's stage, neither as an event nor in the manifest's health.
     */
    @Test
    void afterTheCommitAFailureIsReportedOnlyOnceItLastedTheGracePeriod() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.settings = new UpdateMachine.Settings(3, 5, 16 * 1024, 100, java.time.Duration.ofMinutes(30));
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();
        d.extraChecks = List.of(() -> broken.get() ? new HealthCheck.Result.Unhealthy("SERVER_UNREACHABLE", "lost")
                : new HealthCheck.Result.Healthy());
        java.util.concurrent.atomic.AtomicLong uptime = new java.util.concurrent.atomic.AtomicLong();
        d.healthTiming = new HealthChecks.Timing(java.time.Duration.ZERO, java.time.Duration.ofMinutes(5),
                java.time.Duration.ofSeconds(15));
        d.healthUptime = uptime::get;
        d.healthSleeper = uptime::addAndGet;
        d.clock = java.time.Clock.fixed(java.time.Instant.parse("2026-06-01T12:00:00Z"), java.time.ZoneOffset.UTC);
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        UpdateMachine m = d.machine(durable);
        m.run();
        assertThat(m.health().state()).isEqualTo(HealthReport.State.OK);

        broken.set(true); // fails for less than the grace period, then heals: nothing reported
        m.run();
        uptime.addAndGet(java.time.Duration.ofMinutes(4).toMillis());
        m.run();
        assertThat(m.health().state()).as("the last counted verdict stands").isEqualTo(HealthReport.State.OK);
        broken.set(false);
        m.run();
        broken.set(true); // the grace period counts again from this failure
        m.run();
        uptime.addAndGet(java.time.Duration.ofMinutes(4).toMillis());
        m.run();
        assertThat(d.reporter.received.stream().filter(e -> e.reason() == ReasonCode.HEALTH_FAILED)).isEmpty();

        uptime.addAndGet(java.time.Duration.ofMinutes(1).toMillis()); // failing for the whole grace period
        m.run();
        m.run();
        assertThat(m.health().state()).isEqualTo(HealthReport.State.FAILING);
        assertThat(d.reporter.received.stream().filter(e -> e.reason() == ReasonCode.HEALTH_FAILED)).hasSize(1);
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
    }

    @Test
    void withoutAPostCommitPeriodNoChecksRunAfterTheCommit() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
        d.extraChecks = List.of(() -> {
            rounds.incrementAndGet();
            return new HealthCheck.Result.Healthy();
        });
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        int afterTrial = rounds.get();
        d.machine(durable).run();
        assertThat(rounds.get()).isEqualTo(afterTrial);
        assertThat(new StateStore(dir.resolve("state/state.json"), durable).load().watch()).isNull();
    }

    @Test
    void aSignedInstallWindowHoldsTheInstallUntilItOpensByTheBoardsClock() throws Exception {
        byte[] v2 = TestImage.create(Behaviour.BOOT_OK, "2.0.0", 50_000);
        dev.flotilla.core.director.MaintenanceWindow window =
                new dev.flotilla.core.director.MaintenanceWindow("0 2 * * *", 60, "UTC");
        Assignment a = new Assignment("as-w", "fw-2.img", "2.0.0", v2.length, Digests.sha256Hex(v2), 1, false, 0,
                false, false, window);
        SimDevice d = new SimDevice(dir, V1, new FakeSource(a, v2, 1));
        d.clock = java.time.Clock.fixed(java.time.Instant.parse("2026-06-01T12:00:00Z"), java.time.ZoneOffset.UTC);
        CrashableDurable durable = new CrashableDurable();
        d.bootloader.boot();
        assertThat(d.machine(durable).run()).isInstanceOf(UpdateState.Installing.class);
        assertThat(d.machine(durable).run()).isInstanceOf(UpdateState.Installing.class);
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
        d.clock = java.time.Clock.fixed(java.time.Instant.parse("2026-06-02T02:10:00Z"), java.time.ZoneOffset.UTC);
        try {
            d.machine(durable).run();
        } catch (SimDevice.SimulatedReboot expected) {
            // inside the window: armed and rebooted
        }
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isTrue();
    }

    @Test
    void aWithdrawalAfterAPowerCutThatFollowedTheArmingDisarmsTheTrialAndEndsIdle() throws Exception {
        byte[] v2 = TestImage.create(Behaviour.BOOT_OK, "2.0.0", 50_000);
        Assignment held = new Assignment("dep-w", "fw-2.img", "2.0.0", v2.length, Digests.sha256Hex(v2), 1, false, 0,
                false, true, null); // download-only: it waits in INSTALLING
        FakeSource source = new FakeSource(held, v2, 1);
        SimDevice d = new SimDevice(dir, V1, source);
        CrashableDurable durable = new CrashableDurable();
        d.bootloader.boot();
        assertThat(d.machine(durable).run()).isInstanceOf(UpdateState.Installing.class);
        // the trial was armed just before a power cut, before INSTALLED was saved
        d.boot(durable).armTrial("b", 3);
        source.next = new Assignment("dep-w", "fw-2.img", "2.0.0", v2.length, Digests.sha256Hex(v2), 1, false, 5,
                true, false, null);
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(labels(d)).endsWith("INSTALLING/VERIFIED", "WITHDRAWN/WITHDRAWN", "IDLE/UPDATE_WITHDRAWN");
        assertThat(d.reporter.received.getLast().assignmentId()).isEqualTo("dep-w");
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
        assertThat(d.runningSlot()).isEqualTo("a");
        assertThat(new StateStore(dir.resolve("state/state.json"), durable).load().finished())
                .isEqualTo(new StateStore.Finished(1, "dep-w", ReasonCode.UPDATE_WITHDRAWN));
        // served again, the withdrawal starts nothing
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(labels(d)).filteredOn("DOWNLOADING/ASSIGNMENT_RECEIVED"::equals).hasSize(1);
    }

    @Test
    void tamperedImageIsRefusedWithHashMismatchAndNoTrialIsArmed() throws Exception {
        byte[] v2 = TestImage.create(Behaviour.BOOT_OK, "2.0.0", 50_000);
        byte[] tampered = v2.clone();
        tampered[40_000] ^= 1;
        Assignment signed = new Assignment("as-2", "fw-2.img", "2.0.0", v2.length, Digests.sha256Hex(v2), 4);
        SimDevice d = new SimDevice(dir, V1, new FakeSource(signed, tampered, 1));
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        assertThat(labels(d)).containsExactly("DOWNLOADING/ASSIGNMENT_RECEIVED", "VERIFYING/DOWNLOADED",
                "FAILED/HASH_MISMATCH", "IDLE/UPDATE_FAILED");
        assertThat(d.boots).isEqualTo(1);
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
        assertThat(Files.readAllBytes(d.slotFiles.get("a"))).isEqualTo(V1);
    }

    @Test
    void securityVersionBelowTheCounterIsRefusedBeforeAByteIsWritten() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 2);
        byte[] previous = TestImage.create(Behaviour.BOOT_OK, "0.9.0", 20_000); // what slot B held before
        Files.write(d.slotFiles.get("b"), previous);
        CrashableDurable durable = new CrashableDurable();
        d.counter(durable).raiseTo(3);
        d.live(durable, 5, 10);
        assertThat(labels(d)).containsExactly("FAILED/SECURITY_VERSION_TOO_LOW", "IDLE/UPDATE_FAILED");
        assertThat(Files.readAllBytes(d.slotFiles.get("b"))).as("not a byte of slot B written").isEqualTo(previous);
    }

    @Test
    void diskFullWhileWritingTheSlotFailsWithStorageFull() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        CrashableDurable durable = new CrashableDurable();
        durable.limitSpace(d.slotFiles.get("b"), 20_000);
        d.live(durable, 5, 10);
        assertThat(labels(d)).containsExactly("DOWNLOADING/ASSIGNMENT_RECEIVED", "FAILED/STORAGE_FULL",
                "IDLE/UPDATE_FAILED");
        assertThat(Files.readAllBytes(d.slotFiles.get("a"))).isEqualTo(V1);
    }

    @Test
    void interruptedDownloadsResumeFromTheLastCheckpoint() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.source.flaky = new java.util.Random(7);
        d.source.failureRate = 0.2;
        d.live(new CrashableDurable(), 5, 40);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        assertThat(d.source.openedAt).hasSizeGreaterThan(1).isSorted().allMatch(o -> o % (16 * 1024) == 0);
    }

    @Test
    void loopGuardAbandonsADownloadThatNeverProgresses() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.source.flaky = new java.util.Random(1);
        d.source.failureRate = 1.0;
        d.live(new CrashableDurable(), 3, 20);
        assertThat(labels(d)).containsExactly("DOWNLOADING/ASSIGNMENT_RECEIVED", "FAILED/REENTRY_LIMIT",
                "IDLE/UPDATE_FAILED");
        assertThat(d.source.openedAt).hasSize(6);
    }

    @Test
    void reportsSurviveRestartsAndAreRemovedOnlyWhenAcknowledged() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.reporter.offline = true;
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10);
        ReportQueue queue = new ReportQueue(d.dir.resolve("state/events"), durable);
        assertThat(queue.pending()).hasSize(9);
        assertThat(d.reporter.received).isEmpty();

        d.reporter.offline = false;
        assertThat(queue.flush(d.reporter)).isEqualTo(new ReportQueue.Flushed(9, 0, false));
        assertThat(queue.pending()).isEmpty();
        assertThat(d.reporter.received).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }

    @Test
    void anAssignmentThatRolledBackIsNotStartedAgainButARetryWithAHigherCounterIs() throws Exception {
        SimDevice d = device(Behaviour.CRASH_ON_BOOT, 4, 10);
        d.source.counter = 7L; // the server keeps serving this issue until it hears the outcome
        d.reporter.offline = true; // the update rolls back while the server is down
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 10, 10, s -> s instanceof UpdateState.Idle);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(d.bootLog).filteredOn(b -> b.contains("kernel panic")).hasSize(3);
        assertThat(new ReportQueue(dir.resolve("state/events"), durable).pending())
                .extracting(e -> e.state() + "/" + e.reason()).endsWith("ROLLED_BACK/BOOT_FAILED", "IDLE/UPDATE_ROLLED_BACK");
        StateStore store = new StateStore(dir.resolve("state/state.json"), durable);
        assertThat(store.load().finished())
                .isEqualTo(new StateStore.Finished(7, "as-2.0.0", ReasonCode.UPDATE_ROLLED_BACK));

        // the agent restarts (a new machine on the same files); the reports still cannot be delivered:
        // it checks in as a heartbeat and does not look at the assignment
        // (two offers so far: the poll that started it and the check-in just before the trial was armed)
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(d.source.offers).isEqualTo(2);
        assertThat(d.source.heartbeats).isEqualTo(1);

        // the server is back and still serves counter 7: the reports go first, the assignment is not started
        d.reporter.offline = false;
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(labels(d)).endsWith("ROLLED_BACK/BOOT_FAILED", "IDLE/UPDATE_ROLLED_BACK");
        assertThat(d.source.offers).isEqualTo(3);
        assertThat(d.bootLog).filteredOn(b -> b.contains("kernel panic")).hasSize(3);
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();

        // a retry is a new issue with a higher counter: installed (and this image crashes again)
        d.source.counter = 8L;
        d.live(durable, 20, 20, s -> s instanceof UpdateState.Idle);
        assertThat(d.problems).isEmpty();
        assertThat(labels(d)).filteredOn("DOWNLOADING/ASSIGNMENT_RECEIVED"::equals).hasSize(2);
        assertThat(d.bootLog).filteredOn(b -> b.contains("kernel panic")).hasSize(6);
        assertThat(store.load().finished())
                .isEqualTo(new StateStore.Finished(8, "as-2.0.0", ReasonCode.UPDATE_ROLLED_BACK));
    }

    @Test
    void aCommittedAssignmentServedAgainWithTheSameCounterIsNotStartedAgain() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4, 10);
        d.source.counter = 4L;
        d.reporter.offline = true; // the server does not hear of the commit, so it keeps serving counter 4
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 5, 10, s -> s instanceof UpdateState.Idle);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        StateStore store = new StateStore(dir.resolve("state/state.json"), durable);
        assertThat(store.load().finished())
                .isEqualTo(new StateStore.Finished(4, "as-2.0.0", ReasonCode.UPDATE_SUCCEEDED));

        // the server is back and answers every check-in with the same issue: the reports go first, and the
        // finished assignment is not downloaded or installed again
        Assignment a = d.source.assignment();
        d.source.next = new Assignment(a.id(), a.target(), a.version(), a.length(), a.sha256(), a.securityVersion(),
                false, 4L, false, false, null);
        d.reporter.offline = false;
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(labels(d)).contains("IDLE/UPDATE_SUCCEEDED");
        assertThat(labels(d)).filteredOn("DOWNLOADING/ASSIGNMENT_RECEIVED"::equals).hasSize(1);
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
        assertThat(store.load().finished())
                .isEqualTo(new StateStore.Finished(4, "as-2.0.0", ReasonCode.UPDATE_SUCCEEDED));
    }

    @Test
    void anAssignmentAcceptedButNotStartedBeforeAPowerCutIsStartedWhenServedAgainWithTheSameCounter()
            throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4, 3);
        d.source.counter = 3L;
        CrashableDurable durable = new CrashableDurable(1); // cut before the first write: the DOWNLOADING event
        d.live(durable, 5, 10);
        assertThat(durable.cuts()).isEqualTo(1);
        assertThat(d.problems).isEmpty();
        // offered before the cut, again after it, and once more in the check-in just before the trial is armed
        assertThat(d.source.offers).isEqualTo(3);
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        assertThat(labels(d)).endsWith("IDLE/UPDATE_SUCCEEDED");
    }

    @Test
    void aFailedAssignmentIsNotStartedAgainWithTheSameCounter() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 2, 3);
        d.source.counter = 5L;
        CrashableDurable durable = new CrashableDurable();
        d.counter(durable).raiseTo(3);
        d.live(durable, 5, 10, s -> s instanceof UpdateState.Idle); // refused: securityVersion below the counter
        assertThat(d.machine(durable).run()).isEqualTo(new UpdateState.Idle());
        assertThat(d.source.offers).isEqualTo(2);
        assertThat(labels(d)).containsExactly("FAILED/SECURITY_VERSION_TOO_LOW", "IDLE/UPDATE_FAILED");
        assertThat(new StateStore(dir.resolve("state/state.json"), durable).load().finished())
                .isEqualTo(new StateStore.Finished(5, "as-2.0.0", ReasonCode.UPDATE_FAILED));
    }

    @Test
    void unreachableServerLeavesTheAgentIdle() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.source.unreachable = true;
        d.bootloader.boot();
        assertThat(d.machine(new CrashableDurable()).run()).isEqualTo(new UpdateState.Idle());
        assertThat(d.reporter.received).isEmpty();
    }

    /** A health command that fails its first {@code n} runs (counted in a file), then passes. */
    private CommandCheck failingFirst(int n) {
        Path count = dir.resolve("health-runs");
        return new CommandCheck(List.of("sh", "-c", "n=$(cat '" + count + "' 2>/dev/null || echo 0); n=$((n+1)); "
                + "echo $n > '" + count + "'; [ $n -gt " + n + " ]"), java.time.Duration.ofSeconds(5));
    }

    private int healthRuns() throws Exception {
        return Integer.parseInt(Files.readString(dir.resolve("health-runs")).trim());
    }

    @Test
    void healthChecksThatPassAfterAFewFailuresCommitWithinTheGracePeriod() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.extraChecks = List.of(failingFirst(3));
        // a grace period far longer than four runs take even on a loaded machine: the update must commit after
        // the fourth run, not wait for the period's end (the device would then roll back)
        d.healthTiming = new HealthChecks.Timing(java.time.Duration.ZERO, java.time.Duration.ofMinutes(5),
                java.time.Duration.ofMillis(50));
        d.live(new CrashableDurable(), 5, 10);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        assertThat(labels(d)).endsWith("COMMITTED/HEALTH_CHECKS_PASSED", "IDLE/UPDATE_SUCCEEDED");
        assertThat(healthRuns()).as("no run after the first that passed").isEqualTo(4);
    }

    @Test
    void healthChecksThatKeepFailingRollBackAtTheEndOfTheGracePeriod() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.extraChecks = List.of(failingFirst(Integer.MAX_VALUE));
        d.healthTiming = new HealthChecks.Timing(java.time.Duration.ZERO, java.time.Duration.ofMillis(400),
                java.time.Duration.ofMillis(50));
        long[] healthStarted = new long[1];
        long[] rollingBack = new long[1];
        d.listener = new AgentListener() {
            @Override
            public void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
                if (to instanceof UpdateState.HealthChecking) {
                    healthStarted[0] = System.nanoTime();
                } else if (to instanceof UpdateState.RollingBack) {
                    rollingBack[0] = System.nanoTime();
                }
            }
        };
        d.live(new CrashableDurable(), 10, 10);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(labels(d)).endsWith("ROLLING_BACK/HEALTH_CHECK_FAILED", "ROLLED_BACK/HEALTH_CHECK_FAILED",
                "IDLE/UPDATE_ROLLED_BACK");
        assertThat(healthRuns()).isGreaterThan(2);
        assertThat(rollingBack[0] - healthStarted[0]).isGreaterThanOrEqualTo(400_000_000L);
        assertThat(d.counter(new CrashableDurable()).current()).isZero();
    }

    /** A check that cuts the power on its first {@code cuts} runs, then answers {@code after}. */
    private static HealthCheck cutsPower(int cuts, HealthCheck.Result after) {
        int[] runs = new int[1];
        return () -> {
            if (++runs[0] <= cuts) {
                throw new dev.flotilla.agent.storage.PowerCut(0, "power lost during the grace period");
            }
            return after;
        };
    }

    @Test
    void aPowerCutDuringTheGracePeriodStillEndsCommittedWhenTheChecksPassLater() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.extraChecks = List.of(cutsPower(1, new HealthCheck.Result.Healthy()));
        d.healthTiming = new HealthChecks.Timing(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5),
                java.time.Duration.ofMillis(20));
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 10, 10);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        assertThat(labels(d)).endsWith("COMMITTED/HEALTH_CHECKS_PASSED", "IDLE/UPDATE_SUCCEEDED");
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
    }

    @Test
    void powerCutsInEveryGracePeriodEndRolledBackByTheBootCounter() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.extraChecks = List.of(cutsPower(Integer.MAX_VALUE, new HealthCheck.Result.Healthy()));
        d.healthTiming = new HealthChecks.Timing(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5),
                java.time.Duration.ofMillis(20));
        CrashableDurable durable = new CrashableDurable();
        d.live(durable, 12, 20);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(labels(d)).endsWith("ROLLED_BACK/BOOT_FAILED", "IDLE/UPDATE_ROLLED_BACK");
        assertThat(labels(d)).doesNotContain("COMMITTED/HEALTH_CHECKS_PASSED");
        assertThat(d.bootLog).filteredOn(b -> b.contains("slot=b") || b.contains("slot b")).hasSizeGreaterThan(1);
        assertThat(d.boot(durable).trialState().upgradeAvailable()).isFalse();
        assertThat(d.counter(durable).current()).isZero();
    }

    @Test
    void aListenerHearsEveryTransitionOfAFullUpdateInOrderAndProgressEndingAtTheTotal() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        List<String> heard = new java.util.ArrayList<>();
        List<Long> done = new java.util.ArrayList<>();
        d.listener = new AgentListener() {
            @Override
            public void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
                heard.add(from.label() + "->" + to.label() + "/" + reason);
            }

            @Override
            public void downloadProgress(Assignment a, long bytes, long total) {
                assertThat(total).isEqualTo(a.length());
                done.add(bytes);
            }

            @Override
            public void verification(Verified what, String assignmentId, boolean passed, String detail) {
                heard.add(what + " " + assignmentId + " " + passed);
            }
        };
        d.live(new CrashableDurable(), 5, 10);
        assertThat(heard).containsExactly("IDLE->DOWNLOADING/ASSIGNMENT_RECEIVED", "DOWNLOADING->VERIFYING/DOWNLOADED",
                "IMAGE as-2.0.0 true", "VERIFYING->INSTALLING/VERIFIED", "INSTALLING->INSTALLED/TRIAL_ARMED",
                "INSTALLED->REBOOTING/REBOOT_REQUESTED", "REBOOTING->TRIAL/BOOTED_NEW_SLOT",
                "TRIAL->HEALTH_CHECK/HEALTH_CHECK_STARTED", "HEALTH_CHECK->COMMITTED/HEALTH_CHECKS_PASSED",
                "COMMITTED->IDLE/UPDATE_SUCCEEDED");
        assertThat(done).hasSizeGreaterThan(5).isSorted().doesNotHaveDuplicates();
        assertThat(done.getLast()).isEqualTo(d.source.assignment().length());
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheUpdate() throws Exception {
        SimDevice d = device(Behaviour.BOOT_OK, 4);
        d.listener = new AgentListener() {
            @Override
            public void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
                throw new IllegalStateException("broken listener");
            }
        };
        d.live(new CrashableDurable(), 5, 10);
        assertThat(d.problems).isEmpty();
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
    }
}
