package dev.flotilla.server.rollouts;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Retries of a rollout's failed devices with backoff. Runs on the caller's handle, under the evaluation lock. A
 * device's {@code n}-th retry (its row's {@code attempts} is n) may be re-admitted no earlier than
 * {@link Policies#retryDelayMillis} after its last failure (the row's {@code updated_at}: a failure row no longer
 * moves, except to {@code committed}); at most {@code maxRetries} retries per device. The operator's
 * {@code retry} ({@link #request}) re-admits those whose backoff has passed and leaves the others waiting in
 * {@code rollout_retries} (schema V25) with the time they are due; the evaluator re-admits them once due while
 * the rollout is active ({@link #admitDue}). A waiting device whose row left its failure state meanwhile (it
 * committed later, or another rollout took it over) is dropped when due; an abort drops them all ({@link #drop}).
 */
final class Retries {
    private static final String FAILED_SQL = "('failed', 'rolled_back', 'timed_out')";

    private Retries() {
    }

    /**
     * The operator's retry: each failed device with retries left is re-admitted now when its backoff has passed,
     * else waits for it. Returns the numbers to audit: {@code retried} (re-admitted now), {@code waiting} (all the
     * rollout's devices waiting for their backoff), {@code nextRetryAt} (when the first of them is due, only
     * with some waiting) and {@code exhausted} (failed devices without retries left).
     */
    static Map<String, Object> request(Handle h, RolloutRow r, long now) {
        record Failed(String deviceId, int attempts, long failedAt) {
        }
        List<Failed> failed = h.createQuery("SELECT device_id, attempts, updated_at FROM rollout_devices"
                        + " WHERE rollout_id = :r AND state IN " + FAILED_SQL + " AND attempts <= :max ORDER BY device_id")
                .bind("r", r.id()).bind("max", r.policies().maxRetries())
                .map((rs, ctx) -> new Failed(rs.getString(1), rs.getInt(2), rs.getLong(3))).list();
        int retried = 0;
        for (Failed f : failed) {
            long due = f.failedAt() + r.policies().retryDelayMillis(f.attempts());
            h.createUpdate("DELETE FROM rollout_retries WHERE rollout_id = :r AND device_id = :d")
                    .bind("r", r.id()).bind("d", f.deviceId()).execute();
            if (due <= now) {
                readmit(h, r.id(), f.deviceId(), now);
                retried++;
            } else {
                h.createUpdate("INSERT INTO rollout_retries (rollout_id, device_id, due_at) VALUES (:r, :d, :due)")
                        .bind("r", r.id()).bind("d", f.deviceId()).bind("due", due).execute();
            }
        }
        Map<String, Object> numbers = numbers(h, r.id(), retried);
        numbers.put("exhausted", h.createQuery("SELECT COUNT(*) FROM rollout_devices WHERE rollout_id = :r"
                        + " AND state IN " + FAILED_SQL + " AND attempts > :max")
                .bind("r", r.id()).bind("max", r.policies().maxRetries()).mapTo(Integer.class).one());
        return numbers;
    }

    /**
     * Re-admits the rollout's waiting devices whose backoff has passed and that are still failed; returns the
     * numbers to audit ({@code retried}, {@code waiting}, {@code nextRetryAt}), or an empty map when none was due.
     */
    static Map<String, Object> admitDue(Handle h, RolloutRow r, long now) {
        List<String> due = h.createQuery("SELECT device_id FROM rollout_retries WHERE rollout_id = :r"
                        + " AND due_at <= :now ORDER BY device_id")
                .bind("r", r.id()).bind("now", now).mapTo(String.class).list();
        if (due.isEmpty()) {
            return Map.of();
        }
        int retried = 0;
        for (String d : due) {
            h.createUpdate("DELETE FROM rollout_retries WHERE rollout_id = :r AND device_id = :d")
                    .bind("r", r.id()).bind("d", d).execute();
            boolean stillFailed = h.createQuery("SELECT COUNT(*) FROM rollout_devices WHERE rollout_id = :r"
                            + " AND device_id = :d AND state IN " + FAILED_SQL + " AND attempts <= :max")
                    .bind("r", r.id()).bind("d", d).bind("max", r.policies().maxRetries()).mapTo(Integer.class).one() > 0;
            if (stillFailed) {
                readmit(h, r.id(), d, now);
                retried++;
            }
        }
        return numbers(h, r.id(), retried);
    }

    /** Drops the rollout's waiting retries (it was aborted). */
    static int drop(Handle h, String rolloutId) {
        return h.createUpdate("DELETE FROM rollout_retries WHERE rollout_id = :r").bind("r", rolloutId).execute();
    }

    /** {@code retried}, and how many devices wait and when the first is due. */
    private static Map<String, Object> numbers(Handle h, String rolloutId, int retried) {
        record Waiting(int count, Long next) {
        }
        Waiting w = h.createQuery("SELECT COUNT(*), MIN(due_at) FROM rollout_retries WHERE rollout_id = :r")
                .bind("r", rolloutId).map((rs, ctx) -> new Waiting(rs.getInt(1), (Long) rs.getObject(2, Long.class)))
                .one();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("retried", retried);
        out.put("waiting", w.count());
        if (w.next() != null) {
            out.put("nextRetryAt", Instant.ofEpochMilli(w.next()).toString());
        }
        return out;
    }

    /** The device gets a new assignment of the rollout: a live row again, one more attempt, pending signature. */
    private static void readmit(Handle h, String rolloutId, String deviceId, long now) {
        h.createUpdate("""
                        UPDATE rollout_devices SET state = 'assigned', reason = NULL, attempts = attempts + 1,
                            admitted_at = :now, updated_at = :now, committed_at = NULL, acknowledged = FALSE
                        WHERE rollout_id = :r AND device_id = :d""")
                .bind("now", now).bind("r", rolloutId).bind("d", deviceId).execute();
        h.createUpdate("INSERT INTO deployment_pending (deployment_id, device_id) VALUES (:r, :d)")
                .bind("r", rolloutId).bind("d", deviceId).execute();
    }
}
