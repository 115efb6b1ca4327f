package dev.flotilla.server.rollouts;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rollouts' clock work, run by every server's scheduler every {@link #INTERVAL_SECONDS} seconds: one
 * transaction that first locks the row of {@code rollout_evaluation_lock}, so that with several servers on one
 * database one evaluates at a time (a server that dies mid-way releases the lock with its connection, and the
 * next tick of another takes over). It first applies the queued membership changes to the kept positions of
 * the dynamic selections ({@link Positions#applyChanges}). Then for each active rollout, in order:
 * <ol>
 *   <li>before its first stage: start it once {@code startAt} passed;</li>
 *   <li>devices of a stage without a final state past the stage's {@code timeoutSeconds} become
 *       {@code timed_out} (a failure);</li>
 *   <li>the stage's gates ({@link GateCheck}): the first that fails halts the rollout at once ({@link Halts});</li>
 *   <li>a dynamic selection whose members changed since it last admitted: the members now inside the current
 *       stage's cohort and not admitted yet are admitted (two index ranges of {@code rollout_positions}; looked
 *       at most every {@link #JOINERS_EVERY_MILLIS} ms by one server); a dynamic selection whose positions are not
 *       complete yet admits nothing and starts no stage: they are filled outside the transaction, in committed
 *       batches ({@link PositionFill}), which then admits the current stage's cohort;</li>
 *   <li>devices an operator retried whose backoff has passed are re-admitted ({@link Retries#admitDue});</li>
 *   <li>when no device of the rollout is still in progress, the stage's soak time has passed since it started
 *       and since its last commit, and the next stage is approved if it asks for approval, the next stage
 *       starts;</li>
 *   <li>a plan with a ramp ({@link Ramp}): the devices its rate allows since the last admission are admitted;</li>
 *   <li>with {@code maxConcurrentDownloads}, devices waiting for a download slot get the slots freed since
 *       ({@link DownloadSlots}), after the transaction.</li>
 * </ol>
 * Then each active, paused or halted rollout's device states are sampled for the chart ({@link Samples}).
 * Cheap when nothing changes: a few indexed counts per active rollout; a membership change costs a re-check of
 * the changed devices only. Admitted devices are signed after the
 * transaction ({@link Assignments#finishPending}).
 */
public final class Evaluator {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluator.class);
    /** How often the server's scheduler evaluates. */
    public static final int INTERVAL_SECONDS = 2;
    /**
     * How often one server lets a dynamic selection's joiners in (when its members changed since); a stage that
     * starts admits its cohort at once.
     */
    public static final long JOINERS_EVERY_MILLIS = 30_000;

    private final Jdbi jdbi;
    private final Admission admission;
    private final Assignments assignments;
    private final Halts halts;
    private final AuditLog audit;
    private final Clock clock;
    /** When this server last looked for joiners, per rollout (an optimisation only: nothing else depends on it). */
    private final java.util.Map<String, Long> joinersChecked = new java.util.concurrent.ConcurrentHashMap<>();

    private final FleetEvents events;

    private final PositionFill fill;

    Evaluator(Jdbi jdbi, Admission admission, Assignments assignments, Halts halts, AuditLog audit, Clock clock,
              FleetEvents events, PositionFill fill) {
        this.events = events;
        this.fill = fill;
        this.jdbi = jdbi;
        this.admission = admission;
        this.assignments = assignments;
        this.halts = halts;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Fills the kept positions of rollouts that wait for them and that no live fill holds ({@link
     * PositionFill#fillDue}: a fill that was interrupted, or rollouts started before positions were kept), then
     * evaluates every active rollout once (see the class comment; the {@link FleetEvents} hear of every gate checked,
     * stage started and halt once it committed), then signs what it admitted, then fills the positions of the
     * dynamic selections whose first stage it started.
     */
    public void evaluate() {
        fill.fillDue();
        record Tick(List<String> admitted, List<String> started) {
        }
        Tick tick = jdbi.inTransaction(h -> {
            lock(h);
            Tick out = new Tick(new ArrayList<>(), new ArrayList<>());
            memberChanges(h);
            for (RolloutRow r : RolloutRow.rolloutsInState(h, RolloutRow.ACTIVE)) {
                long now = clock.millis();
                Optional<GateCheck> failing = gatesOf(h, r, now);
                if (failing.isPresent()) {
                    halts.halt(h, r, failing.get(), now);
                } else {
                    if (step(h, r)) {
                        out.admitted().add(r.id());
                    }
                    if (r.stageStartedAt() == null && r.selection().dynamic()) {
                        out.started().add(r.id());
                    }
                }
            }
            for (String state : List.of(RolloutRow.ACTIVE, RolloutRow.PAUSED, RolloutRow.HALTED)) {
                RolloutRow.rolloutsInState(h, state).forEach(r -> Samples.record(h, r.id(), clock.millis(), false));
            }
            return out;
        });
        tick.admitted().forEach(assignments::finishPending);
        if (!tick.started().isEmpty()) {
            fill.fillDue();
        }
    }

    /** {@link #evaluate()}, logging a failure instead of throwing it (for the scheduler). */
    public void evaluateQuietly() {
        try {
            evaluate();
        } catch (RuntimeException e) {
            LOG.warn("evaluating rollouts failed; will retry", e);
        }
    }

    /** Takes the evaluation lock to the end of the transaction (operator actions take it too). */
    static void lock(Handle h) {
        h.createQuery("SELECT id FROM rollout_evaluation_lock WHERE id = 1 FOR UPDATE").mapTo(Integer.class).one();
    }

    /**
     * Applies the queued membership changes to the kept positions of every dynamic selection that may still
     * admit (active, paused, halted; {@link Positions#applyChanges}), after forgetting those of rollouts that
     * ended. While a started dynamic selection waits for its rows ({@link PositionFill}) the queue is left as it
     * is: the changes made after its fill read the selection are applied to its rows, and to the others', once
     * they are complete.
     */
    private void memberChanges(Handle h) {
        Positions.forgetEnded(h);
        List<RolloutRow> kept = new ArrayList<>();
        for (String state : List.of(RolloutRow.ACTIVE, RolloutRow.PAUSED, RolloutRow.HALTED)) {
            for (RolloutRow r : RolloutRow.rolloutsInState(h, state)) {
                if (r.selection().dynamic() && Positions.filled(h, r.id())) {
                    kept.add(r);
                } else if (r.selection().dynamic() && r.stageStartedAt() != null && !admission.hardware(h, r).isEmpty()) {
                    return; // its rows are being filled
                }
            }
        }
        Positions.applyChanges(h, kept, (hh, r, devices) -> {
            List<String> hardware = admission.hardware(hh, r);
            Set<String> out = new HashSet<>();
            if (!hardware.isEmpty()) {
                r.selection().members(hh, hardware, devices).forEach(m -> out.add(m.id()));
            }
            return out;
        });
    }

    /** One rollout's step; returns whether it admitted devices or has devices waiting for a download slot. */
    private boolean step(Handle h, RolloutRow r) {
        long now = clock.millis();
        if (r.stageStartedAt() == null) {
            if (r.startAt() != null && r.startAt() > now) {
                return false;
            }
            int n = admission.startStage(h, r, 0, now);
            // a dynamic selection admits once its positions are filled: that fill's rollout.positions says how many
            audit(h, r, "rollout.stage", r.selection().dynamic() ? Map.of("stage", 0, "positions", "filling")
                    : Map.of("stage", 0, "admitted", n));
            return n > 0;
        }
        if (r.selection().dynamic() && !Positions.filled(h, r.id())) {
            return false; // nothing is admitted, and no stage starts, until its positions are filled (PositionFill)
        }
        int admitted = 0;
        long lastLook = joinersChecked.getOrDefault(r.id(), Long.MIN_VALUE / 2);
        if (r.plan().ramp() != null) {
            admitted = admission.admitCohort(h, r, r.stage(), now); // the ramp's pace, joiners included
        } else if (r.selection().dynamic() && now - lastLook >= JOINERS_EVERY_MILLIS) {
            if (Positions.membersChanged(h, r.id())) {
                admitted = admission.admitCohort(h, r, r.stage(), now);
            }
            joinersChecked.put(r.id(), now);
        }
        Map<String, Object> retried = Retries.admitDue(h, r, now);
        if (!retried.isEmpty()) {
            audit(h, r, "rollout.retry.due", retried);
            admitted += (Integer) retried.get("retried");
        }
        if (readyForNext(h, r, now)) {
            int k = r.stage() + 1;
            int n = admission.startStage(h, r, k, now);
            audit(h, r, "rollout.stage", stageNumbers(h, r, k, n));
            admitted += n;
        }
        return admitted > 0 || DownloadSlots.waiting(h, r);
    }

    /**
     * For a rollout whose first stage started: times out its devices, then checks the current stage's gates (each
     * told to the {@link FleetEvents} after the commit); returns the first that fails.
     */
    private Optional<GateCheck> gatesOf(Handle h, RolloutRow r, long now) {
        if (r.stageStartedAt() == null) {
            return Optional.empty();
        }
        timeOut(h, r, now);
        List<GateCheck> checks = GateCheck.of(r.plan().gates(r.stage()), RolloutDevices.counts(h, r.id()));
        FleetListener later = events.after(h);
        checks.forEach(g -> later.gateEvaluated(g.evaluation(r.id(), r.stage())));
        return checks.stream().filter(g -> !g.holds()).findFirst();
    }

    private static void timeOut(Handle h, RolloutRow r, long now) {
        for (int k = 0; k <= r.stage(); k++) {
            Long timeout = r.plan().timeoutSeconds(k);
            if (timeout != null) {
                RolloutDevices.timeOut(h, r.id(), k, now - timeout * 1000, now);
            }
        }
    }

    /**
     * Whether the next stage may start: there is one, no active device is in progress (a decommissioned one no
     * longer holds it up), the soak time passed since the
     * stage started and since the last commit, and the next stage is approved if it asks for approval.
     */
    static boolean readyForNext(Handle h, RolloutRow r, long now) {
        int next = r.stage() + 1;
        if (next >= r.plan().stages().size() || (r.plan().approval(next) && r.approvedStage() < next)) {
            return false;
        }
        // EXISTS per live row: H2 would read every active device for "device_id IN (SELECT id FROM devices ...)"
        int inProgress = h.createQuery("SELECT COUNT(*) FROM rollout_devices rd WHERE rd.rollout_id = :r"
                        + " AND rd.state IN " + RolloutDevices.LIVE_SQL
                        + " AND EXISTS (SELECT 1 FROM devices d WHERE d.id = rd.device_id AND d.status = 'active')")
                .bind("r", r.id()).mapTo(Integer.class).one();
        if (inProgress > 0) {
            return false;
        }
        long lastCommit = h.createQuery("SELECT COALESCE(MAX(committed_at), 0) FROM rollout_devices WHERE rollout_id = :r")
                .bind("r", r.id()).mapTo(Long.class).one();
        long soakFrom = Math.max(r.stageStartedAt(), lastCommit);
        return now >= soakFrom + r.plan().soakSeconds(r.stage()) * 1000;
    }

    /** The numbers a stage transition is audited with: the stage, devices admitted and the counts so far. */
    static Map<String, Object> stageNumbers(Handle h, RolloutRow r, int stage, int admitted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stage", stage);
        m.put("admitted", admitted);
        m.put("counts", RolloutDevices.counts(h, r.id()));
        m.put("gates", GateCheck.of(r.plan().gates(r.stage()), RolloutDevices.counts(h, r.id())));
        return m;
    }

    private void audit(Handle h, RolloutRow r, String action, Map<String, Object> after) {
        audit.record(h, new Actor("system", r.id(), "rollout evaluator"), action, "rollout", r.id(), null, after);
    }
}
