package dev.flotilla.server.rollouts;

import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The device states of a rollout over time (table {@code rollout_samples}), for the dashboard's chart. The
 * evaluator records a sample of each rollout it still follows on its tick, under the evaluation lock (one
 * server at a time): at most every {@link #EVERY_MILLIS} and only when the counts differ from the last sample,
 * so a quiet rollout adds nothing. A rollout keeps at most {@link #MAX} samples: past that, every other one of
 * its older half is deleted, so the recent past stays fine-grained and the whole life stays visible. Counts
 * cover every device the rollout admitted, acknowledged failures included. Runs on the caller's handle.
 */
final class Samples {
    static final long EVERY_MILLIS = 10_000;
    static final int MAX = 1_000;

    private Samples() {
    }

    /** Records a sample of the rollout's devices when one is due and the counts changed; returns whether. */
    static boolean record(Handle h, String rolloutId, long now, boolean force) {
        Optional<Rollout.Sample> last = h.createQuery("""
                        SELECT * FROM rollout_samples WHERE rollout_id = :r ORDER BY at DESC LIMIT 1""")
                .bind("r", rolloutId).map((rs, ctx) -> read(rs)).findOne();
        if (last.isPresent() && (now <= last.get().at() || (!force && now - last.get().at() < EVERY_MILLIS))) {
            return false;
        }
        Rollout.Sample s = of(now, RolloutDevices.totals(h, rolloutId));
        if (last.isPresent() && s.sameCounts(last.get())) {
            return false;
        }
        h.createUpdate("""
                        INSERT INTO rollout_samples (rollout_id, at, pending, in_progress, committed, failed, stopped)
                        VALUES (:r, :at, :p, :i, :c, :f, :s)""")
                .bind("r", rolloutId).bind("at", s.at()).bind("p", s.pending()).bind("i", s.inProgress())
                .bind("c", s.committed()).bind("f", s.failed()).bind("s", s.stopped()).execute();
        thin(h, rolloutId);
        return true;
    }

    /** The rollout's samples, oldest first (at most {@link #MAX}). */
    static List<Rollout.Sample> series(Handle h, String rolloutId) {
        return h.createQuery("SELECT * FROM rollout_samples WHERE rollout_id = :r ORDER BY at")
                .bind("r", rolloutId).map((rs, ctx) -> read(rs)).list();
    }

    /** A sample of counts by rollout device state ({@link RolloutDevices#totals}) taken at {@code at}. */
    static Rollout.Sample of(long at, Map<String, Integer> byState) {
        int pending = byState.getOrDefault("assigned", 0);
        int inProgress = 0;
        for (String live : RolloutDevices.LIVE) {
            inProgress += live.equals("assigned") ? 0 : byState.getOrDefault(live, 0);
        }
        int failed = 0;
        for (String f : RolloutDevices.FAILURES) {
            failed += byState.getOrDefault(f, 0);
        }
        int committed = byState.getOrDefault("committed", 0);
        int all = byState.values().stream().mapToInt(Integer::intValue).sum();
        return new Rollout.Sample(at, pending, inProgress, committed, failed,
                all - pending - inProgress - committed - failed);
    }

    /** Past {@link #MAX} samples, deletes every other one of the older half (never the first). */
    private static void thin(Handle h, String rolloutId) {
        List<Long> ats = h.createQuery("SELECT at FROM rollout_samples WHERE rollout_id = :r ORDER BY at")
                .bind("r", rolloutId).mapTo(Long.class).list();
        if (ats.size() <= MAX) {
            return;
        }
        List<Long> drop = new ArrayList<>();
        for (int i = 1; i < ats.size() / 2; i += 2) {
            drop.add(ats.get(i));
        }
        h.createUpdate("DELETE FROM rollout_samples WHERE rollout_id = :r AND at IN (<ats>)")
                .bind("r", rolloutId).bindList("ats", drop).execute();
    }

    private static Rollout.Sample read(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Rollout.Sample(rs.getLong("at"), rs.getInt("pending"), rs.getInt("in_progress"),
                rs.getInt("committed"), rs.getInt("failed"), rs.getInt("stopped"));
    }
}
