package dev.flotilla.agent.update;

import static dev.flotilla.agent.update.ReasonCode.*;

import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.boot.TrialState;
import dev.flotilla.agent.counter.AntiRollbackCounter;
import dev.flotilla.agent.slots.ReadBack;
import dev.flotilla.agent.slots.SlotException;
import dev.flotilla.agent.slots.Slots;
import dev.flotilla.agent.storage.StorageFullException;
import dev.flotilla.agent.update.StateStore.Finished;
import dev.flotilla.agent.update.StateStore.Persisted;
import dev.flotilla.agent.update.UpdateState.*;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The update state machine: every transition of an update is in {@link #step}.
 *
 * <p>Invariants. The next state (and its event) is persisted before the side effect that state performs,
 * so after a power cut or restart {@link #run} resumes from the persisted state, and every state's action
 * is safe to repeat. Before {@code REBOOTING} the active slot is never written (the slots refuse it) and
 * any error ends in {@code FAILED}. After the reboot, the agent decides from the slot it is running on:
 * the new slot leads to the health checks, the old one means the bootloader fell back ({@code BOOT_FAILED}).
 * Success ({@link ReasonCode#UPDATE_SUCCEEDED}) is reported only after the slot was marked good and the
 * anti-rollback counter raised. The loop guard: each start in a state without progress counts as a
 * re-entry; past {@link Settings#maxReentries()} the update is abandoned (before the reboot) or rolled back.
 *
 * <p>An assignment is started once. The transition into IDLE that concludes an assignment (committed,
 * failed or refused, rolled back) persists its counter and outcome with the state ({@link Finished}), and
 * an assignment whose counter is not above that one is not started again: a retry is a new assignment with
 * a higher counter. Before acting on a check-in answer, the machine delivers the queued reports (how the
 * last assignment ended, above all); while any is left, it only checks in as a heartbeat and starts
 * nothing, so a server that has not heard the outcome yet cannot make it install the same update again.
 * An assignment in progress is resumed from the persisted state, never from a check-in.
 *
 * <p>Rollout fields. While it holds an assignment it has not started installing (DOWNLOADING, VERIFYING,
 * INSTALLING) the machine checks in once per run and before arming the trial ({@link UpdateSource#recheck}):
 * a newer signed withdrawal of the held deployment ends it ({@code WITHDRAWN}, then IDLE), a newer
 * assignment of the same image replaces the held one ({@code ASSIGNMENT_UPDATED}), anything else waits.
 * From INSTALLED on nothing stops the trial. A download-only assignment, or one outside its signed install
 * window (unless forced), waits in INSTALLING like one outside the device's maintenance windows. After a
 * commit, each run in IDLE runs one round of health checks until {@link Settings#postCommit()} or, when
 * longer, the committed assignment's signed soak time ({@link Assignment#soakSeconds()}: its rollout counts the
 * device's health that long) has passed ({@link StateStore.HealthWatch}); a failure is reported once as
 * {@code HEALTH_FAILED}. A zero {@code postCommit} turns the watch off whatever the soak time.
 *
 * <p>The {@link AgentListener} hears of a transition only after it was persisted, and cannot stop the machine.
 */
public final class UpdateMachine {

    /**
     * Tunables; {@link #defaults()} for a real device.
     *
     * @param postCommit how long after a commit each run in IDLE runs a round of health checks, at least (a
     *        longer signed soak time of the committed assignment extends it); zero: none
     */
    public record Settings(int trialTries, int maxReentries, long checkpointBytes, int maxStepsPerRun,
            Duration postCommit) {
        /** Settings without post-commit health checks. */
        public Settings(int trialTries, int maxReentries, long checkpointBytes, int maxStepsPerRun) {
            this(trialTries, maxReentries, checkpointBytes, maxStepsPerRun, Duration.ZERO);
        }

        public static Settings defaults() {
            return new Settings(3, 5, 16L << 20, 100);
        }
    }

    /** How many finished download segments may wait for their fsync while the next ones are written. */
    private static final int PENDING_SEGMENTS = 4;

    /**
     * The device parts the machine drives.
     *
     * @param clock the board's clock, for the signed install windows
     */
    public record Device(Slots slots, BootControl boot, AntiRollbackCounter counter, HealthChecks health,
            Clock clock) {
        /** Parts on the system clock. */
        public Device(Slots slots, BootControl boot, AntiRollbackCounter counter, HealthChecks health) {
            this(slots, boot, counter, health, Clock.systemUTC());
        }
    }

    /** One transition: the state entered and why ({@code checks}: the health checks that decided it, or null). */
    private record Transition(UpdateState state, ReasonCode reason, String detail, List<HealthReport.Check> checks) {
        Transition(UpdateState state, ReasonCode reason, String detail) {
            this(state, reason, detail, null);
        }
    }

    /**
     * Where the machine's events go: the durable queue, the server side that receives them, and the
     * listener that observes the machine.
     */
    public record Reporting(ReportQueue queue, Reporter reporter, AgentListener listener) {
    }

    private final Device device;
    private final StateStore store;
    private final ReportQueue queue;
    private final UpdateSource source;
    private final Reporter reporter;
    private final AgentListener listener;
    private final Settings settings;
    private final InstallGate gate;
    private Persisted current;
    private boolean rebootRequested;
    /** Whether this run already checked in about the assignment it holds (see {@link #recheck}). */
    private boolean rechecked;
    /** The last round of health checks (trial or post-commit); read by the manifest on another call path. */
    private volatile HealthReport health = HealthReport.UNKNOWN;
    /** The read-back that ran alongside a download completed in this run; memory only. */
    private OverlappedReadBack readBack;

    private record OverlappedReadBack(Assignment assignment, String slot, ReadBack readBack) {
    }

    public UpdateMachine(Device device, StateStore store, ReportQueue queue, UpdateSource source, Reporter reporter,
            Settings settings) {
        this(device, store, new Reporting(queue, reporter, AgentListener.NONE), source, settings, InstallGate.ALWAYS);
    }

    /** A machine that installs only when {@code gate} allows it (maintenance windows). */
    public UpdateMachine(Device device, StateStore store, ReportQueue queue, UpdateSource source, Reporter reporter,
            Settings settings, InstallGate gate) {
        this(device, store, new Reporting(queue, reporter, AgentListener.NONE), source, settings, gate);
    }

    /** A machine that reports to {@code reporting.listener()} as well. */
    public UpdateMachine(Device device, StateStore store, Reporting reporting, UpdateSource source, Settings settings,
            InstallGate gate) {
        this.gate = gate;
        this.device = device;
        this.store = store;
        this.queue = reporting.queue();
        this.source = source;
        this.reporter = reporting.reporter();
        this.listener = AgentListener.all(List.of(reporting.listener())); // one that throws is skipped
        this.settings = settings;
    }

    /**
     * Resumes from the persisted state and runs until IDLE, until a reboot was requested, or until a
     * transient error (server unreachable) makes it wait for the next run. Polls for an assignment only
     * when it starts in IDLE, and only once the queued reports are delivered.
     *
     * @return the state it stopped in
     * @throws IllegalStateException when one run takes more than {@link Settings#maxStepsPerRun()} steps
     */
    public UpdateState run() throws IOException, InterruptedException {
        try {
            return runSteps();
        } finally {
            if (readBack != null) {
                readBack.readBack().close(); // a read-back this run did not get to use (a cut, a stop)
                readBack = null;
            }
        }
    }

    private UpdateState runSteps() throws IOException, InterruptedException {
        current = store.load();
        rechecked = false;
        if (current.state() instanceof Idle) {
            watchHealth();
        }
        if (notStarted(current.state())) {
            Transition t = recheck();
            if (t != null) {
                enter(t);
            }
        }
        if (waitingForGate()) {
            queue.flush(reporter);
            return current.state();
        }
        guardReentry();
        for (int i = 0; i < settings.maxStepsPerRun(); i++) {
            UpdateState s = current.state();
            if (!(s instanceof Idle && i == 0)) { // a poll delivers the queue itself, first
                queue.flush(reporter);
            }
            if (rebootRequested || (s instanceof Idle && i > 0) || waitingForGate()) {
                return s;
            }
            Transition t = step(s);
            if (t == null) {
                queue.flush(reporter);
                return current.state();
            }
            enter(t);
        }
        throw new IllegalStateException("more than " + settings.maxStepsPerRun() + " steps in one run");
    }

    /** In INSTALLING with the gate closed: waiting is not a re-entry. */
    private boolean waitingForGate() throws InterruptedException {
        return current.state() instanceof Installing n && !mayInstall(n.assignment());
    }

    /**
     * The signed rules first (download-only never installs; outside the signed install window only a forced
     * assignment installs), then the device's own gate.
     */
    private boolean mayInstall(Assignment a) throws InterruptedException {
        if (a.downloadOnly()) {
            return false;
        }
        if (!a.forced() && a.installWindow() != null && !a.installWindow().isOpen(device.clock().instant())) {
            return false;
        }
        return gate.mayInstall(a);
    }

    /** Holding an assignment whose installation has not started: the trial is not armed. */
    private static boolean notStarted(UpdateState s) {
        return s instanceof Downloading || s instanceof Verifying || s instanceof Installing;
    }

    /**
     * Checks in while holding an assignment not yet installing (once per run): a newer signed assignment that
     * withdraws the held deployment stops it; a newer one of the same image replaces it (its flags, window and
     * deployment id); anything else waits until the held one ends. Null: carry on as before.
     */
    private Transition recheck() throws IOException {
        rechecked = true;
        UpdateState s = current.state();
        Assignment held = assignmentOf(s);
        Optional<Assignment> answer;
        try {
            answer = source.recheck();
        } catch (IOException unreachable) {
            return null; // carry on; the next run asks again
        }
        if (answer.isEmpty() || answer.get().counter() <= held.counter()) {
            return null;
        }
        Assignment a = answer.get();
        if (a.withdrawn() && a.id().equals(held.id())) {
            return new Transition(new Withdrawn(held, slotOf(s)), WITHDRAWN, "deployment " + held.id()
                    + " withdrawn (counter " + a.counter() + ") before it was installed");
        }
        if (!a.withdrawn() && a.sameImage(held)) {
            return new Transition(holding(s, a), ASSIGNMENT_UPDATED, "now " + a.id() + " (counter " + a.counter()
                    + (a.downloadOnly() ? ", download only" : "") + (a.forced() ? ", forced" : "") + ")");
        }
        listener.notStarted(a.id(), "holding " + held.id() + ", which has not started installing; a "
                + (a.withdrawn() ? "withdrawal of another deployment" : "different image") + " waits until it ends"
                + " or is withdrawn");
        return null;
    }

    /**
     * The last health report: {@link HealthReport#UNKNOWN} until a round ran in this process (the trial's
     * checks, or a post-commit round).
     */
    public HealthReport health() {
        return health;
    }

    /**
     * In IDLE during the post-commit watch: one round of health checks ({@link HealthChecks#watchRound}: a
     * failure counts once it lasted the grace period). A counted failure after a pass is reported once as
     * {@code HEALTH_FAILED} (event {@code health_failed}) with the checks; the watch ends at its deadline.
     */
    private void watchHealth() throws IOException, InterruptedException {
        StateStore.HealthWatch w = current.watch();
        if (w == null) {
            return;
        }
        if (!device.clock().instant().isBefore(java.time.Instant.ofEpochMilli(w.untilEpochMilli()))) {
            current = new Persisted(current.seq(), 0, current.state(), current.finished(), null);
            store.save(current);
            return;
        }
        HealthReport r = device.health().watchRound();
        if (r == null) {
            return;
        }
        health = r;
        if (r.healthy() == !w.failing()) {
            return;
        }
        StateStore.HealthWatch next = new StateStore.HealthWatch(w.assignmentId(), w.version(), w.untilEpochMilli(),
                !r.healthy());
        long seq = current.seq();
        if (!r.healthy()) {
            seq++;
            queue.enqueue(new Event("ev-" + seq, seq, "IDLE", HEALTH_FAILED, r.why(), w.assignmentId(), w.version(),
                    0, 0, null, r.checks()));
        }
        current = new Persisted(seq, 0, current.state(), current.finished(), next);
        store.save(current);
        if (!r.healthy()) {
            listener.transition(current.state(), current.state(), HEALTH_FAILED, r.why());
        }
    }

    /** Whether this run asked the device to restart. */
    public boolean rebootRequested() {
        return rebootRequested;
    }

    /** The transition function: performs {@code s}'s action; null means "stay and stop this run". */
    private Transition step(UpdateState s) throws IOException, InterruptedException {
        return switch (s) {
            case Idle i -> poll();
            case Downloading d -> download(d);
            case Verifying v -> verify(v);
            case Installing n -> install(n);
            case Installed n -> new Transition(new Rebooting(n.assignment(), n.slot()), REBOOT_REQUESTED, "");
            case Rebooting r -> running(r.slot())
                    ? new Transition(new Trial(r.assignment(), r.slot()), BOOTED_NEW_SLOT, "")
                    : rebootOrFellBack(r);
            case Trial t -> running(t.slot())
                    ? new Transition(new HealthChecking(t.assignment(), t.slot()), HEALTH_CHECK_STARTED, "")
                    : fellBack(t.assignment(), t.slot());
            case HealthChecking h -> running(h.slot()) ? checkHealth(h) : fellBack(h.assignment(), h.slot());
            case Committed c -> running(c.slot()) ? commit(c) : fellBack(c.assignment(), c.slot());
            case Failed f -> cleanUp(f);
            case RollingBack r -> running(r.slot()) ? rollBack(r)
                    : new Transition(new RolledBack(r.assignment(), r.reason(), r.detail()), r.reason(), r.detail());
            case RolledBack r -> new Transition(new Idle(), UPDATE_ROLLED_BACK, r.reason() + ": " + r.detail());
            case Withdrawn w -> withdraw(w);
        };
    }

    private Transition poll() throws IOException {
        if (!queue.deliverAll(reporter)) {
            listener.notStarted("", queue.pending().size() + " report(s) not delivered yet; the server hears how"
                    + " the last update ended before the device takes another");
            try {
                source.heartbeat();
            } catch (IOException unreachable) {
                // the agent backs off; reports and check-in are tried again next run
            }
            return null;
        }
        Optional<Assignment> next;
        try {
            next = source.poll();
        } catch (IOException unreachable) {
            return null;
        }
        if (next.isEmpty()) {
            return null;
        }
        Assignment a = next.get();
        if (a.withdrawn()) {
            listener.notStarted(a.id(), "the deployment is withdrawn (counter " + a.counter() + ")");
            return null;
        }
        Finished last = current.finished();
        if (last != null && a.counter() <= last.counter()) {
            listener.notStarted(a.id(), "counter " + a.counter() + " is not above " + last.counter() + " of "
                    + last.assignmentId() + ", which already ended (" + last.outcome()
                    + "); a retry needs a new assignment with a higher counter");
            return null;
        }
        long counter = device.counter().current();
        if (a.securityVersion() < counter) {
            return failed(a, null, SECURITY_VERSION_TOO_LOW, "securityVersion " + a.securityVersion()
                    + " is below the device's counter " + counter);
        }
        String slot = device.slots().inactive().name();
        return new Transition(new Downloading(a, slot, 0), ASSIGNMENT_RECEIVED, "into slot " + slot);
    }

    /**
     * Writes the image into the slot while {@link SlotSyncer} fsyncs and checkpoints each finished segment
     * on its own thread (from {@link Slots#threads()}), and {@link ReadBack} reads back and hashes the slot behind the checkpoints (from
     * byte 0, so a resumed download is hashed end to end). The read-back is handed to {@link #verify} only
     * when the download completes in this run; after a restart in VERIFYING the slot is read back whole.
     */
    private Transition download(Downloading d) throws IOException {
        Assignment a = d.assignment();
        long start = d.offset();
        ReadBack back = device.slots().readBack(d.slot(), a.length());
        back.synced(start); // what an earlier run checkpointed is durable
        boolean complete = false;
        SlotSyncer syncer = new SlotSyncer(new SlotSyncer.Checkpoint() {
            @Override
            public void sync() throws IOException {
                device.slots().sync(d.slot());
            }

            @Override
            public void reached(long offset) throws IOException {
                checkpoint(new Downloading(a, d.slot(), offset));
                back.synced(offset);
            }
        }, PENDING_SEGMENTS, device.slots().threads());
        try {
            try (syncer; InputStream in = source.open(a, start)) {
                long pos = start;
                byte[] buf = device.slots().buffer(a.length() - start);
                while (pos < a.length()) {
                    long next = Math.min(a.length(), pos + settings.checkpointBytes());
                    long reached = device.slots().write(d.slot(), pos, in, next, buf,
                            (done, limit) -> listener.downloadProgress(a, done, a.length()));
                    if (reached > pos) {
                        syncer.written(reached);
                        pos = reached;
                    }
                    if (reached < next) {
                        syncer.finish();
                        return null; // the stream ended early: resume from the checkpoint next run
                    }
                }
                syncer.finish();
            }
            complete = true;
        } catch (StorageFullException e) {
            return failed(a, d.slot(), STORAGE_FULL, e.getMessage());
        } catch (SlotException e) {
            return failed(a, d.slot(), SLOT_REFUSED, e.getMessage());
        } catch (IOException transport) {
            return null; // resume from the checkpoint next run; the loop guard bounds the retries
        } finally {
            if (complete) {
                readBack = new OverlappedReadBack(a, d.slot(), back);
            } else {
                back.close();
            }
        }
        return new Transition(new Verifying(a, d.slot()), DOWNLOADED, a.length() + " bytes");
    }

    private Transition verify(Verifying v) throws IOException {
        Assignment a = v.assignment();
        OverlappedReadBack overlapped = readBack;
        readBack = null;
        String actual;
        try {
            if (overlapped != null && overlapped.assignment().equals(a) && overlapped.slot().equals(v.slot())) {
                try (ReadBack back = overlapped.readBack()) {
                    actual = back.finish(a.length());
                }
            } else {
                if (overlapped != null) {
                    overlapped.readBack().close();
                }
                actual = device.slots().sha256(v.slot(), a.length(), (done, total) -> { });
            }
        } catch (IOException e) {
            listener.verification(AgentListener.Verified.IMAGE, a.id(), false, e.getMessage());
            return failed(a, v.slot(), LENGTH_MISMATCH, e.getMessage());
        }
        if (!actual.equals(a.sha256())) {
            String why = "expected sha256 " + a.sha256() + " but slot " + v.slot() + " holds " + actual;
            listener.verification(AgentListener.Verified.IMAGE, a.id(), false, why);
            return failed(a, v.slot(), HASH_MISMATCH, why);
        }
        listener.verification(AgentListener.Verified.IMAGE, a.id(), true, "sha256 " + actual);
        return new Transition(new Installing(a, v.slot()), VERIFIED, "sha256 " + actual);
    }

    /** Arms the trial, unless a check-in first (the last chance before the trial) withdraws or replaces it. */
    private Transition install(Installing n) throws IOException {
        Transition t = rechecked ? null : recheck();
        return t != null ? t : arm(n.assignment(), n.slot());
    }

    private Transition arm(Assignment a, String slot) {
        try {
            device.boot().armTrial(slot, settings.trialTries());
        } catch (IOException e) {
            return failed(a, slot, BOOT_ENV_ERROR, e.getMessage());
        }
        return new Transition(new Installed(a, slot), TRIAL_ARMED, settings.trialTries() + " tries");
    }

    private Transition rebootOrFellBack(Rebooting r) throws IOException {
        TrialState t = device.boot().trialState();
        if (t.upgradeAvailable() && t.bootSlot().equals(r.slot())) {
            requestReboot();
            return null;
        }
        return fellBack(r.assignment(), r.slot());
    }

    private Transition fellBack(Assignment a, String slot) throws IOException {
        return new Transition(new RolledBack(a, BOOT_FAILED, "slot " + slot + " did not come up; running slot "
                + device.boot().activeSlot()), BOOT_FAILED, "bootloader fell back");
    }

    private Transition checkHealth(HealthChecking h) throws InterruptedException {
        HealthReport r = device.health().run();
        health = r;
        if (!r.healthy()) {
            return new Transition(new RollingBack(h.assignment(), h.slot(), HEALTH_CHECK_FAILED, r.why()),
                    HEALTH_CHECK_FAILED, r.why(), r.checks());
        }
        return new Transition(new Committed(h.assignment(), h.slot()), HEALTH_CHECKS_PASSED, "", r.checks());
    }

    private Transition commit(Committed c) throws IOException {
        device.boot().markGood();
        AntiRollbackCounter counter = device.counter();
        if (c.assignment().securityVersion() > counter.current()) {
            counter.raiseTo(c.assignment().securityVersion());
        }
        return new Transition(new Idle(), UPDATE_SUCCEEDED, "running " + c.assignment().version());
    }

    private Transition rollBack(RollingBack r) throws IOException {
        device.boot().markBad(r.slot());
        requestReboot();
        return null;
    }

    private Transition cleanUp(Failed f) throws IOException {
        disarm(f.slot());
        return new Transition(new Idle(), UPDATE_FAILED, f.reason() + ": " + f.detail());
    }

    /** Forgets the download (the next update writes the slot afresh); no trial stays armed. */
    private Transition withdraw(Withdrawn w) throws IOException {
        disarm(w.slot());
        return new Transition(new Idle(), UPDATE_WITHDRAWN, "deployment " + w.assignment().id() + " withdrawn");
    }

    /** Disarms a trial of {@code slot} armed before a failure or a power cut ({@code slot} may be null). */
    private void disarm(String slot) throws IOException {
        if (slot != null && !running(slot)) {
            TrialState t = device.boot().trialState();
            if (t.upgradeAvailable() && t.bootSlot().equals(slot)) {
                device.boot().markBad(slot);
            }
        }
    }

    private static Transition failed(Assignment a, String slot, ReasonCode reason, String detail) {
        return new Transition(new Failed(a, slot, reason, detail), reason, detail);
    }

    private boolean running(String slot) throws IOException {
        return device.boot().activeSlot().equals(slot);
    }

    private void requestReboot() throws IOException {
        rebootRequested = true;
        device.boot().reboot();
    }

    /** Counts a start in a non-idle state; past the limit, leaves the state. */
    private void guardReentry() throws IOException {
        UpdateState s = current.state();
        if (s instanceof Idle) {
            return;
        }
        int entries = current.entries() + 1;
        if (entries <= settings.maxReentries()) {
            current = new Persisted(current.seq(), entries, s, current.finished(), current.watch());
            store.save(current);
            return;
        }
        String why = s.label() + " re-entered " + entries + " times";
        enter(switch (s) {
            case Downloading d -> failed(d.assignment(), d.slot(), REENTRY_LIMIT, why);
            case Verifying v -> failed(v.assignment(), v.slot(), REENTRY_LIMIT, why);
            case Installing n -> failed(n.assignment(), n.slot(), REENTRY_LIMIT, why);
            case Installed n -> failed(n.assignment(), n.slot(), REENTRY_LIMIT, why);
            case Rebooting r -> new Transition(new RollingBack(r.assignment(), r.slot(), REENTRY_LIMIT, why),
                    REENTRY_LIMIT, why);
            case Trial t -> new Transition(new RollingBack(t.assignment(), t.slot(), REENTRY_LIMIT, why),
                    REENTRY_LIMIT, why);
            case HealthChecking h -> new Transition(new RollingBack(h.assignment(), h.slot(), REENTRY_LIMIT, why),
                    REENTRY_LIMIT, why);
            default -> new Transition(new Idle(), REENTRY_LIMIT, why);
        });
    }

    /**
     * Persists a transition: its event first (same id if redone after a cut), then the state (with the
     * outcome when it concludes an assignment); then tells.
     */
    private void enter(Transition t) throws IOException {
        UpdateState from = current.state();
        long seq = current.seq() + 1;
        Assignment concluded = t.state() instanceof Idle ? assignmentOf(from) : null;
        queue.enqueue(event(seq, t, assignmentOf(from)));
        Finished finished = concluded == null ? current.finished()
                : new Finished(concluded.counter(), concluded.id(), t.reason());
        current = new Persisted(seq, 0, t.state(), finished, watchAfter(t, concluded));
        store.save(current);
        listener.transition(from, t.state(), t.reason(), t.detail());
    }

    /**
     * A commit starts the post-commit health watch, for the longer of {@code postCommit} and the assignment's
     * soak time; leaving IDLE ends it.
     */
    private StateStore.HealthWatch watchAfter(Transition t, Assignment concluded) {
        if (t.reason() == UPDATE_SUCCEEDED && concluded != null && settings.postCommit().isPositive()) {
            Duration watch = settings.postCommit().compareTo(Duration.ofSeconds(concluded.soakSeconds())) >= 0
                    ? settings.postCommit() : Duration.ofSeconds(concluded.soakSeconds());
            long until = device.clock().instant().plus(watch).toEpochMilli();
            return new StateStore.HealthWatch(concluded.id(), concluded.version(), until, false);
        }
        return t.state() instanceof Idle ? current.watch() : null;
    }

    /** Persists download progress without an event; progress resets the loop guard. */
    private void checkpoint(UpdateState s) throws IOException {
        current = new Persisted(current.seq(), 0, s, current.finished(), current.watch());
        store.save(current);
    }

    /** The event of a transition; one into IDLE names the assignment it concluded ({@code previous}). */
    private static Event event(long seq, Transition t, Assignment previous) {
        Assignment a = t.state() instanceof Idle ? previous : assignmentOf(t.state());
        long done = t.state() instanceof Downloading d ? d.offset() : a == null ? 0 : a.length();
        return new Event("ev-" + seq, seq, t.state().label(), t.reason(), t.detail(), a == null ? null : a.id(),
                a == null ? null : a.version(), done, a == null ? 0 : a.length(), null, t.checks());
    }

    private static Assignment assignmentOf(UpdateState s) {
        return switch (s) {
            case Idle i -> null;
            case Downloading d -> d.assignment();
            case Verifying v -> v.assignment();
            case Installing n -> n.assignment();
            case Installed n -> n.assignment();
            case Rebooting r -> r.assignment();
            case Trial t -> t.assignment();
            case HealthChecking h -> h.assignment();
            case Committed c -> c.assignment();
            case Failed f -> f.assignment();
            case RollingBack r -> r.assignment();
            case RolledBack r -> r.assignment();
            case Withdrawn w -> w.assignment();
        };
    }

    /** The slot of a state that holds an assignment not yet installing. */
    private static String slotOf(UpdateState s) {
        return switch (s) {
            case Downloading d -> d.slot();
            case Verifying v -> v.slot();
            case Installing n -> n.slot();
            default -> throw new IllegalStateException(s.label() + " does not hold an assignment before installing");
        };
    }

    /** {@code s} holding {@code a} instead (the same image: the download offset stays valid). */
    private static UpdateState holding(UpdateState s, Assignment a) {
        return switch (s) {
            case Downloading d -> new Downloading(a, d.slot(), d.offset());
            case Verifying v -> new Verifying(a, v.slot());
            case Installing n -> new Installing(a, n.slot());
            default -> throw new IllegalStateException(s.label() + " does not hold an assignment before installing");
        };
    }
}
