package dev.flotilla.server.rollouts;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fills a started dynamic selection's kept positions ({@link Positions}) from its whole selection (rollouts only:
 * a deployment keeps none), without one
 * long transaction: the selection is read once, and its rows are inserted in rollout order (position, then
 * device id, so that the two rank indexes grow at their end) in committed transactions of
 * {@link #ROWS_PER_TRANSACTION} rows, none of them under the evaluation lock. The rows count as complete only
 * when the last transaction, under the evaluation lock, sets {@code positions_filled}; it then admits the
 * current stage's cohort when the rollout is active, and the devices are signed afterwards.
 * <p>
 * One fill per rollout at a time: a server claims it ({@code deployments.positions_filler}, its id, and
 * {@code positions_fill_at}, renewed by every batch's transaction as its last statement, so that clearing the
 * rows or another claim waits for that transaction and the batch is rolled back when the claim was lost). A claim
 * left unrenewed for {@link #STALE_MILLIS} (its server died mid-fill) is taken over at the next evaluation, which
 * deletes the partial rows (in batches too) and fills them again; a fill that failed on this server is retried
 * at its next evaluation. While a rollout waits for its rows the evaluator leaves the membership change queue
 * alone ({@link Evaluator}), so the changes made after the fill read the selection are applied to its rows
 * afterwards.
 */
final class PositionFill {
    private static final Logger LOG = LoggerFactory.getLogger(PositionFill.class);
    /** How many rows one transaction of a fill inserts (or deletes, for the partial rows of an interrupted one). */
    static final int ROWS_PER_TRANSACTION = 20_000;
    /** How long a claim may go unrenewed before another server may take the fill over. */
    static final long STALE_MILLIS = 5 * 60_000;

    private final Jdbi jdbi;
    private final Admission admission;
    private final Assignments assignments;
    private final AuditLog audit;
    private final Clock clock;
    /** This server's id in {@code positions_filler}. */
    private final String me = Secrets.newId("srv_");
    /** The rollouts this server fills now (or is about to, for a start in progress). */
    private final Set<String> filling = ConcurrentHashMap.newKeySet();
    private volatile int rowsPerTransaction = ROWS_PER_TRANSACTION;
    private volatile BatchListener listener = (rolloutId, rows) -> { };

    PositionFill(Jdbi jdbi, Admission admission, Assignments assignments, AuditLog audit, Clock clock) {
        this.jdbi = jdbi;
        this.admission = admission;
        this.assignments = assignments;
        this.audit = audit;
        this.clock = clock;
    }

    /** Told after each committed transaction of a fill, with how many rows the rollout has so far. */
    interface BatchListener {
        void committed(String rolloutId, int rows);
    }

    /** Sets the listener of committed batches and the rows per transaction (tests watch and interrupt fills). */
    void watch(BatchListener listener, int rowsPerTransaction) {
        this.listener = listener;
        this.rowsPerTransaction = rowsPerTransaction;
    }

    /**
     * Runs {@code start} (a transaction that may start the rollout's first stage), then fills the rollout's
     * positions if it is a started dynamic selection without them; no evaluation of this server takes the fill
     * meanwhile. The fill's {@code rollout.positions} entry is then {@code actor}'s, marked as completing their
     * {@code rollout.start}. Returns what {@code start} returned and how many devices the completed fill admitted.
     */
    <T> Started<T> starting(String rolloutId, Actor actor, java.util.function.Supplier<T> start) {
        filling.add(rolloutId);
        try {
            T out = start.get();
            int admitted = 0;
            try {
                admitted = fill(rolloutId, actor);
            } catch (RuntimeException e) { // the start stands; the next evaluation fills them (fillDue)
                LOG.warn("filling the positions of rollout {} failed; will retry", rolloutId, e);
            }
            return new Started<>(out, admitted);
        } finally {
            filling.remove(rolloutId);
        }
    }

    /**
     * Fills every rollout that waits for its rows and that no live fill holds: never claimed, claimed by this
     * server (a fill that failed here), or a claim gone stale. Failures are logged; the next evaluation retries.
     */
    void fillDue() {
        long stale = clock.millis() - STALE_MILLIS;
        List<String> due = jdbi.withHandle(h -> h.createQuery("""
                        SELECT id FROM deployments WHERE kind = 'rollout' AND state IN ('active', 'paused', 'halted')
                          AND stage_started_at IS NOT NULL AND positions_filled = FALSE
                          AND (positions_filler IS NULL OR positions_filler = :me OR positions_fill_at < :stale)
                        ORDER BY seq""")
                .bind("me", me).bind("stale", stale).mapTo(String.class).list());
        for (String id : due) {
            if (filling.add(id)) {
                try {
                    fill(id, null);
                } catch (RuntimeException e) {
                    LOG.warn("filling the positions of rollout {} failed; will retry", id, e);
                } finally {
                    filling.remove(id);
                }
            }
        }
    }

    /** What {@link #starting} did: the start's result and how many devices the fill then admitted. */
    record Started<T>(T value, int admitted) {
    }

    /**
     * Claims, clears, fills and completes the rollout's rows; no-op when it needs none or another holds it.
     * Returns how many devices completing them admitted.
     *
     * @param starter the operator whose start this fill completes; null for a fill of the evaluation
     */
    private int fill(String rolloutId, Actor starter) {
        Optional<RolloutRow> claimed = jdbi.inTransaction(h -> claim(h, rolloutId));
        if (claimed.isEmpty()) {
            return 0;
        }
        RolloutRow r = claimed.get();
        if (!deletePartial(rolloutId)) {
            return 0;
        }
        List<String> hardware = jdbi.withHandle(h -> admission.hardware(h, r));
        List<String> ranked = jdbi.withHandle(h -> r.selection().members(h, hardware)).stream()
                .map(Selection.Member::id).map(d -> Map.entry(Cohorts.position(rolloutId, d), d))
                .sorted(Map.Entry.<Long, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()))
                .map(Map.Entry::getValue).toList();
        int step = rowsPerTransaction;
        for (int i = 0; i < ranked.size(); i += step) {
            List<String> batch = ranked.subList(i, Math.min(ranked.size(), i + step));
            boolean kept = jdbi.inTransaction(h -> {
                Positions.insert(h, rolloutId, batch);
                if (!renew(h, rolloutId)) {
                    h.rollback();
                    return false;
                }
                return true;
            });
            if (!kept) {
                return 0;
            }
            listener.committed(rolloutId, i + batch.size());
        }
        int admitted = jdbi.inTransaction(h -> complete(h, rolloutId, ranked.size(), starter));
        if (admitted > 0) {
            assignments.finishPending(rolloutId);
        }
        return admitted;
    }

    /**
     * Takes the fill of a started dynamic selection without complete rows; returns the rollout when taken. A
     * deployment keeps no positions: it follows its group or tag through {@link MembershipAssignments}, whose
     * rules (a device that runs the target and holds nothing live is left alone) a fill would bypass.
     */
    private Optional<RolloutRow> claim(Handle h, String rolloutId) {
        Optional<RolloutRow> r = RolloutRow.find(h, rolloutId).filter(x -> !x.deployment() && x.selection().dynamic()
                && x.stageStartedAt() != null && List.of(RolloutRow.ACTIVE, RolloutRow.PAUSED, RolloutRow.HALTED)
                .contains(x.state()) && !admission.hardware(h, x).isEmpty());
        if (r.isEmpty()) {
            return Optional.empty();
        }
        long now = clock.millis();
        int taken = h.createUpdate("""
                        UPDATE deployments SET positions_filler = :me, positions_fill_at = :now
                        WHERE id = :r AND positions_filled = FALSE
                          AND (positions_filler IS NULL OR positions_filler = :me OR positions_fill_at < :stale)""")
                .bind("me", me).bind("now", now).bind("stale", now - STALE_MILLIS).bind("r", rolloutId).execute();
        return taken == 1 ? r : Optional.empty();
    }

    /** Deletes the rows an interrupted fill left, a transaction per batch; false when the claim was lost. */
    private boolean deletePartial(String rolloutId) {
        while (true) {
            int deleted = jdbi.inTransaction(h -> {
                List<String> rows = h.createQuery("""
                                SELECT device_id FROM rollout_positions WHERE rollout_id = :r
                                ORDER BY rollout_id, position, device_id LIMIT :n""")
                        .bind("r", rolloutId).bind("n", rowsPerTransaction).mapTo(String.class).list();
                Positions.delete(h, rolloutId, rows);
                if (!renew(h, rolloutId)) {
                    h.rollback();
                    return -1;
                }
                return rows.size();
            });
            if (deleted <= 0) {
                return deleted == 0;
            }
        }
    }

    /** Renews this server's claim (the transaction's last statement); false when it was lost. */
    private boolean renew(Handle h, String rolloutId) {
        return h.createUpdate("""
                        UPDATE deployments SET positions_fill_at = :now
                        WHERE id = :r AND positions_filler = :me AND positions_filled = FALSE""")
                .bind("now", clock.millis()).bind("r", rolloutId).bind("me", me).execute() == 1;
    }

    /**
     * Under the evaluation lock: marks the rows complete (with their count and "members changed", so that the
     * evaluator looks at them), notes which the rollout admitted before, and admits the current stage's cohort
     * of an active rollout; returns how many devices it admitted. Audited as {@code rollout.positions} with the
     * stage, the selection's size and the devices admitted: by the operator whose start it completes (marked
     * {@code "completes": "rollout.start"}), else by the system.
     */
    private int complete(Handle h, String rolloutId, int count, Actor starter) {
        Evaluator.lock(h);
        int done = h.createUpdate("""
                        UPDATE deployments SET positions_filled = TRUE, positions_count = :n, members_changed = TRUE,
                            positions_filler = NULL, positions_fill_at = NULL
                        WHERE id = :r AND positions_filler = :me AND positions_filled = FALSE""")
                .bind("n", count).bind("r", rolloutId).bind("me", me).execute();
        if (done != 1) {
            return 0;
        }
        List<String> before = h.createQuery("SELECT device_id FROM rollout_devices WHERE rollout_id = :r")
                .bind("r", rolloutId).mapTo(String.class).list();
        before.forEach(d -> Positions.admitted(h, rolloutId, d));
        RolloutRow r = RolloutRow.find(h, rolloutId).orElseThrow();
        int n = r.state().equals(RolloutRow.ACTIVE) ? admission.admitCohort(h, r, r.stage(), clock.millis()) : 0;
        Map<String, Object> after = new java.util.LinkedHashMap<>();
        after.put("stage", r.stage());
        after.put("selected", count);
        after.put("admitted", n);
        if (starter != null) {
            after.put("completes", "rollout.start");
        }
        audit.record(h, starter == null ? new Actor("system", rolloutId, "rollout positions") : starter,
                "rollout.positions", "rollout", rolloutId, null, after);
        return n;
    }
}
