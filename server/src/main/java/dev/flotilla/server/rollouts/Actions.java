package dev.flotilla.server.rollouts;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import dev.flotilla.server.store.Consistency;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Operator actions on a rollout, each one transaction that takes the evaluation lock ({@link Evaluator#lock}) and
 * the rollout's row, checks the state, acts and is audited as {@code rollout.ACTION} with who did it and the
 * numbers ({@code before}: state and stage; {@code after}: state, stage and what the action counted).
 * <ul>
 *   <li>{@code start}: created to active; the first stage starts now (or at {@code startAt}); for a dynamic
 *       selection its devices are admitted after the transaction, once its positions are filled
 *       ({@link PositionFill}), before the action answers: its entry says {@code "positions": "filling"}
 *       instead of {@code admitted}, and the fill's {@code rollout.positions} entry, in the same operator's
 *       name and marked {@code "completes": "rollout.start"}, has the devices admitted (the answer has them as
 *       {@code admitted}).</li>
 *   <li>{@code pause}: active to paused: no stage starts, no device is admitted; assignments stay.</li>
 *   <li>{@code resume}: paused or halted to active; the failures seen so far are acknowledged (the gates no
 *       longer count them) and withdrawn devices are admitted again.</li>
 *   <li>{@code abort}: to aborted, for good; devices that have not started installing it are withdrawn
 *       ({@link Halts#withdraw}); retries waiting for their backoff are dropped.</li>
 *   <li>{@code advance}: the next stage starts now, without waiting for the soak time or an approval.</li>
 *   <li>{@code approve}: approves the next stage (for stages with {@code approval}).</li>
 *   <li>{@code retry}: failed, rolled back and timed out devices get a new assignment (a higher counter), each at
 *       most {@code maxRetries} times, once their backoff since their failure has passed: at once when it has,
 *       else by the evaluator when it has ({@link Retries}).</li>
 * </ul>
 */
public final class Actions {
    private final Jdbi jdbi;
    private final Admission admission;
    private final Assignments assignments;
    private final Halts halts;
    private final AuditLog audit;
    private final Clock clock;
    private final Function<String, Rollout> view;
    private final PositionFill fill;
    private final FleetEvents events;
    private final Consistency consistency;

    Actions(Jdbi jdbi, Director director, Admission admission, Assignments assignments, Halts halts, AuditLog audit,
            Clock clock, Function<String, Rollout> view, PositionFill fill, FleetEvents events,
            Consistency consistency) {
        this.fill = fill;
        this.events = events;
        this.consistency = consistency;
        this.jdbi = jdbi;
        this.admission = admission;
        this.assignments = assignments;
        this.halts = halts;
        this.audit = audit;
        this.clock = clock;
        this.view = view;
    }

    /**
     * Performs {@code action} on the rollout and answers with the rollout afterwards, with the action and the
     * numbers it was audited with ({@link Rollout.Acted}), once every server answers check-ins accordingly
     * ({@link Consistency#settled}). A change of state is told to the {@link FleetEvents} after the commit.
     *
     * @throws DomainError.NotFound an unknown rollout or action
     * @throws DomainError.Conflict {@code invalid_state} when the rollout's state does not allow the action,
     *                              {@code no_next_stage} to advance past the last stage
     */
    public Rollout act(String id, String action, Actor actor) {
        return consistency.settled(() -> actUnsettled(id, action, actor));
    }

    private Rollout actUnsettled(String id, String action, Actor actor) {
        if (!Rollouts.ACTIONS.contains(action)) {
            throw new DomainError.NotFound("rollout action '" + action + "'");
        }
        record Done(boolean admitted, Rollout.Acted acted) {
        }
        java.util.function.Supplier<Done> tx = () -> jdbi.inTransaction(h -> {
            Evaluator.lock(h);
            RolloutRow r = RolloutRow.lockFor(h, id);
            if (r.deployment()) {
                throw new DomainError.Conflict("invalid_state", id + " is a deployment; cancel it with "
                        + "POST /api/v1/deployments/" + id + "/cancel");
            }
            Map<String, Object> numbers = new LinkedHashMap<>();
            boolean out = switch (action) {
                case "start" -> startIn(h, r, numbers);
                case "pause" -> set(h, r, List.of(RolloutRow.ACTIVE), RolloutRow.PAUSED);
                case "resume" -> resume(h, r, numbers);
                case "abort" -> abort(h, r, numbers);
                case "advance" -> advance(h, r, numbers);
                case "approve" -> approve(h, r, numbers);
                default -> retry(h, r, numbers);
            };
            RolloutRow now = RolloutRow.find(h, id).orElseThrow();
            transition(h, r, now.state(), actor);
            numbers.put("state", now.state());
            numbers.put("stage", now.stage());
            numbers.put("counts", RolloutDevices.counts(h, id));
            Map<String, Object> before = new LinkedHashMap<>();
            before.put("state", r.state());
            before.put("stage", r.stage());
            audit.record(h, actor, "rollout." + action, "rollout", id, before, numbers);
            Samples.record(h, id, clock.millis(), true);
            return new Done(out, new Rollout.Acted(action, before, numbers));
        });
        // a started dynamic selection's positions are filled after the transaction, in batches (PositionFill)
        Done done;
        if (action.equals("start")) {
            PositionFill.Started<Done> started = fill.starting(id, actor, tx);
            done = started.value();
            if (done.acted().after().remove("positions") != null) { // the answer has what the fill admitted
                done.acted().after().put("admitted", started.admitted());
            }
        } else {
            done = tx.get();
        }
        if (done.admitted()) {
            assignments.finishPending(id);
        }
        return view.apply(id).withActed(done.acted());
    }

    /**
     * The actions an operator may take on the rollout as it is now, in the order start, approve, advance, retry,
     * pause, resume, abort: those that {@link #act} would not refuse for its state (advance only before the last
     * stage, approve only when a stage awaits approval, retry only with failures to retry); none for a
     * deployment.
     */
    public static List<String> offered(Rollout r) {
        if (!"rollout".equals(r.kind())) {
            return List.of();
        }
        String state = r.state();
        boolean running = state.equals(RolloutRow.ACTIVE) || state.equals(RolloutRow.PAUSED);
        List<String> out = new java.util.ArrayList<>();
        if (state.equals(RolloutRow.CREATED)) {
            out.add("start");
        }
        if (running && r.awaitingApproval() != null) {
            out.add("approve");
        }
        if (running && r.stageStartedAt() != null && r.stage() + 1 < r.plan().stages().size()) {
            out.add("advance");
        }
        if (running && !r.failures().byReason().isEmpty()) {
            out.add("retry");
        }
        if (state.equals(RolloutRow.ACTIVE)) {
            out.add("pause");
        }
        if (state.equals(RolloutRow.PAUSED) || state.equals(RolloutRow.HALTED)) {
            out.add("resume");
        }
        if (RolloutRow.HOLDING.contains(state)) {
            out.add("abort");
        }
        return out;
    }

    /** Starts a rollout just created, in the creating transaction; returns whether it admitted devices. */
    boolean startIn(Handle h, String id, Actor actor) {
        Map<String, Object> numbers = new LinkedHashMap<>();
        RolloutRow r = RolloutRow.lockFor(h, id);
        boolean admitted = startIn(h, r, numbers);
        audit.record(h, actor, "rollout.start", "rollout", id, null, numbers);
        transition(h, r, RolloutRow.ACTIVE, actor);
        return admitted;
    }

    /** Tells the {@link FleetEvents}, after the commit, that {@code before} went to state {@code to}, if it did. */
    private void transition(Handle h, RolloutRow before, String to, Actor actor) {
        if (!before.state().equals(to)) {
            events.after(h).rolloutTransition(new FleetListener.Transition(before.id(), before.state(), to, actor));
        }
    }

    private boolean startIn(Handle h, RolloutRow r, Map<String, Object> numbers) {
        set(h, r, List.of(RolloutRow.CREATED), RolloutRow.ACTIVE);
        long now = clock.millis();
        if (r.startAt() != null && r.startAt() > now) {
            numbers.put("startsAt", java.time.Instant.ofEpochMilli(r.startAt()).toString());
            return false;
        }
        int n = admission.startStage(h, r, 0, now);
        if (r.selection().dynamic()) { // admitted by the fill after this transaction, audited as rollout.positions
            numbers.put("positions", "filling");
        } else {
            numbers.put("admitted", n);
        }
        return n > 0;
    }

    private boolean resume(Handle h, RolloutRow r, Map<String, Object> numbers) {
        set(h, r, List.of(RolloutRow.PAUSED, RolloutRow.HALTED), RolloutRow.ACTIVE);
        numbers.put("acknowledged", h.createUpdate("UPDATE rollout_devices SET acknowledged = TRUE WHERE rollout_id = :r"
                + " AND acknowledged = FALSE AND state IN ('failed', 'rolled_back', 'timed_out')").bind("r", r.id()).execute());
        Positions.forgetAdmission(h, r.id(), "withdrawn");
        h.createUpdate("DELETE FROM rollout_devices WHERE rollout_id = :r AND state = 'withdrawn'").bind("r", r.id()).execute();
        h.createUpdate("UPDATE deployments SET halt_json = NULL WHERE id = :id").bind("id", r.id()).execute();
        if (r.stageStartedAt() == null) {
            return false;
        }
        int n = admission.admitCohort(h, RolloutRow.find(h, r.id()).orElseThrow(), r.stage(), clock.millis());
        numbers.put("admitted", n);
        return n > 0;
    }

    private boolean abort(Handle h, RolloutRow r, Map<String, Object> numbers) {
        set(h, r, RolloutRow.HOLDING, RolloutRow.ABORTED);
        numbers.put("withdrawn", halts.withdraw(h, r, "aborted", clock.millis()));
        Retries.drop(h, r.id());
        return false;
    }

    private boolean advance(Handle h, RolloutRow r, Map<String, Object> numbers) {
        require(r, List.of(RolloutRow.ACTIVE, RolloutRow.PAUSED));
        int next = r.stage() + 1;
        if (r.stageStartedAt() == null || next >= r.plan().stages().size()) {
            throw new DomainError.Conflict("no_next_stage", r.id() + " has no next stage to advance to (stage "
                    + r.stage() + " of " + r.plan().stages().size() + (r.stageStartedAt() == null ? ", not started)" : ")"));
        }
        h.createUpdate("UPDATE deployments SET approved_stage = :k WHERE id = :id AND approved_stage < :k")
                .bind("k", next).bind("id", r.id()).execute();
        int n = admission.startStage(h, r, next, clock.millis());
        numbers.putAll(Evaluator.stageNumbers(h, r, next, n));
        return n > 0;
    }

    private boolean approve(Handle h, RolloutRow r, Map<String, Object> numbers) {
        require(r, List.of(RolloutRow.CREATED, RolloutRow.ACTIVE, RolloutRow.PAUSED));
        int next = r.stageStartedAt() == null ? 0 : r.stage() + 1;
        h.createUpdate("UPDATE deployments SET approved_stage = :k WHERE id = :id AND approved_stage < :k")
                .bind("k", next).bind("id", r.id()).execute();
        numbers.put("approvedStage", next);
        return false;
    }

    private boolean retry(Handle h, RolloutRow r, Map<String, Object> numbers) {
        require(r, List.of(RolloutRow.ACTIVE, RolloutRow.PAUSED));
        numbers.putAll(Retries.request(h, r, clock.millis()));
        return ((Number) numbers.get("retried")).intValue() > 0;
    }

    private static boolean set(Handle h, RolloutRow r, List<String> from, String to) {
        require(r, from);
        RolloutRow.setState(h, r.id(), to);
        return false;
    }

    private static void require(RolloutRow r, List<String> states) {
        if (!states.contains(r.state())) {
            throw new DomainError.Conflict("invalid_state", "rollout " + r.id() + " is " + r.state()
                    + "; this action needs it " + String.join(" or ", states));
        }
    }
}
