package dev.flotilla.server.rollouts;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tables {@code rollout_positions} and {@code rollout_member_changes}: the members of each dynamic selection
 * with their positions ({@link Cohorts#position}, computed once per member), kept current from the queue of
 * devices whose membership may have changed (filled by database triggers on every write to a device's status,
 * hardware, group, attributes, tags or manifest). A stage's cohort is then the members of lowest position, found
 * by an index (rank {@code size(k) - 1} gives the bound), and the ones not yet admitted a second index range, so
 * neither the whole selection nor its ranking is read again after the rollout's first look. The rows are filled
 * from the whole selection in committed batches by {@link PositionFill} and count only once
 * {@code deployments.positions_filled} is set; everything here runs on the caller's handle, under the evaluation
 * lock ({@link Evaluator#lock}), except {@link #insert} and {@link #delete} for the fill's batches. Static
 * selections are frozen in {@code rollout_members} instead ({@link Admission}).
 */
final class Positions {
    /** How many queued changes one evaluation applies at most; the rest wait for the next. */
    static final int CHANGES_PER_EVALUATION = 20_000;
    /** How many queued changes one evaluation drops at most when no dynamic selection is kept. */
    static final int DISCARD_PER_EVALUATION = 200_000;
    private static final int BATCH = Selection.AMONG_BATCH;
    /** A row {@code p} of {@code rollout_positions} that the rollout admitted (has a row of {@code rollout_devices}). */
    private static final String ADMITTED = """
            EXISTS (SELECT 1 FROM rollout_devices rd WHERE rd.rollout_id = p.rollout_id AND rd.device_id = p.device_id)""";

    private Positions() {
    }

    /** Whether the rollout's rows are complete ({@code deployments.positions_filled}). */
    static boolean filled(Handle h, String rolloutId) {
        return h.createQuery("SELECT positions_filled FROM deployments WHERE id = :r").bind("r", rolloutId)
                .mapTo(Boolean.class).findOne().orElse(false);
    }

    /**
     * Forgets the rollout's rows and any claim to fill them (a started dynamic selection gets them again from its
     * whole selection, {@link PositionFill}). The rollout's row is written first: a fill's batch in progress
     * commits before, so its rows are deleted too, or is rolled back for the claim it lost.
     */
    static void clear(Handle h, String rolloutId) {
        h.createUpdate("""
                        UPDATE deployments SET positions_filled = FALSE, positions_count = 0, positions_filler = NULL,
                            positions_fill_at = NULL WHERE id = :r""")
                .bind("r", rolloutId).execute();
        h.createUpdate("DELETE FROM rollout_positions WHERE rollout_id = :r").bind("r", rolloutId).execute();
    }

    /** Deletes the rollout's rows of the given devices. */
    static void delete(Handle h, String rolloutId, List<String> devices) {
        boolean pairs = !postgresql(h);
        for (int i = 0; i < devices.size(); i += BATCH) {
            List<String> batch = devices.subList(i, Math.min(devices.size(), i + BATCH));
            bindAmong(h.createUpdate("DELETE FROM rollout_positions WHERE " + among(pairs, batch.size())), rolloutId,
                    batch).execute();
        }
    }

    /** Whether devices joined or left the selection since the rollout last admitted its cohort ({@link #looked}). */
    static boolean membersChanged(Handle h, String rolloutId) {
        return h.createQuery("SELECT members_changed FROM deployments WHERE id = :r").bind("r", rolloutId)
                .mapTo(Boolean.class).findOne().orElse(false);
    }

    /** Notes that the rollout admitted its current cohort from its kept positions. */
    static void looked(Handle h, String rolloutId) {
        h.createUpdate("UPDATE deployments SET members_changed = FALSE WHERE id = :r").bind("r", rolloutId).execute();
    }

    /** Forgets the rows (complete, or a fill's) of every rollout that can no longer admit (aborted, or final). */
    static void forgetEnded(Handle h) {
        h.createQuery("""
                        SELECT id FROM deployments WHERE (positions_filled = TRUE OR positions_filler IS NOT NULL)
                          AND state NOT IN ('active', 'paused', 'halted')""")
                .mapTo(String.class).list().forEach(id -> clear(h, id));
    }

    /**
     * How many devices the selection holds (as of the latest look): {@code deployments.positions_count}, kept with
     * the rows (counting them would read all of them).
     */
    static int count(Handle h, String rolloutId) {
        return h.createQuery("SELECT positions_count FROM deployments WHERE id = :r").bind("r", rolloutId)
                .mapTo(Integer.class).findOne().orElse(0);
    }

    /** The members of stage {@code k}'s cohort, admitted or not, in rollout order. */
    static List<String> cohort(Handle h, String rolloutId, Plan plan, int k) {
        int size = Cohorts.sizes(plan, count(h, rolloutId))[k];
        return h.createQuery("""
                        SELECT device_id FROM rollout_positions WHERE rollout_id = :r
                        ORDER BY rollout_id, position, device_id LIMIT :n""")
                .bind("r", rolloutId).bind("n", size).mapTo(String.class).list();
    }

    /**
     * The members of stage {@code k}'s cohort (the {@code size(k)} of lowest position, {@link Cohorts#sizes})
     * that the rollout has not admitted, in rollout order.
     */
    static List<String> fresh(Handle h, String rolloutId, Plan plan, int k) {
        int n = count(h, rolloutId);
        int size = Cohorts.sizes(plan, n)[k];
        if (size == 0) {
            return List.of();
        }
        record Bound(long position, String deviceId) {
        }
        Optional<Bound> bound = size == n ? Optional.empty() : h.createQuery("""
                        SELECT position, device_id FROM rollout_positions WHERE rollout_id = :r
                        ORDER BY rollout_id, position, device_id LIMIT 1 OFFSET :o""")
                .bind("r", rolloutId).bind("o", size - 1)
                .map((rs, ctx) -> new Bound(rs.getLong(1), rs.getString(2))).findOne();
        var q = h.createQuery("SELECT device_id FROM rollout_positions p WHERE rollout_id = :r AND admitted = FALSE"
                        + (bound.isEmpty() ? "" : " AND position <= :p AND (position < :p OR device_id <= :d)")
                        + " AND NOT EXISTS (SELECT 1 FROM rollout_devices rd WHERE rd.rollout_id = p.rollout_id"
                        + " AND rd.device_id = p.device_id) ORDER BY rollout_id, admitted, position, device_id")
                .bind("r", rolloutId);
        bound.ifPresent(b -> q.bind("p", b.position()).bind("d", b.deviceId()));
        return q.mapTo(String.class).list();
    }

    /** The first {@code limit} members the rollout has not admitted, in rollout order (a ramp's next ones). */
    static List<String> next(Handle h, String rolloutId, long limit) {
        return h.createQuery("""
                        SELECT device_id FROM rollout_positions p WHERE rollout_id = :r AND admitted = FALSE
                          AND NOT EXISTS (SELECT 1 FROM rollout_devices rd WHERE rd.rollout_id = p.rollout_id
                                          AND rd.device_id = p.device_id)
                        ORDER BY rollout_id, admitted, position, device_id LIMIT :n""")
                .bind("r", rolloutId).bind("n", Math.min(limit, Integer.MAX_VALUE)).mapTo(String.class).list();
    }

    /** Notes that the rollout admitted the device (a row of {@code rollout_devices}); no-op for a non-member. */
    static void admitted(Handle h, String rolloutId, String deviceId) {
        h.createUpdate("UPDATE rollout_positions SET admitted = TRUE WHERE rollout_id = :r AND device_id = :d")
                .bind("r", rolloutId).bind("d", deviceId).execute();
    }

    /** Notes that the rollout's rows of {@code rollout_devices} in {@code state} are about to be deleted. */
    static void forgetAdmission(Handle h, String rolloutId, String state) {
        h.createUpdate("""
                        UPDATE rollout_positions SET admitted = FALSE WHERE rollout_id = :r AND device_id IN
                          (SELECT device_id FROM rollout_devices WHERE rollout_id = :r AND state = :s)""")
                .bind("r", rolloutId).bind("s", state).execute();
    }

    /**
     * Applies up to {@link #CHANGES_PER_EVALUATION} queued changes (oldest first) to the rows of every rollout
     * whose rows are complete (none: drops them, {@link #discardChanges}): each changed device is checked against
     * the rollout's selection now and added (with its position) or removed; the queue rows read are deleted.
     * Returns the rollouts whose members changed, and notes it in their rows ({@link #membersChanged}).
     *
     * @param selected for a rollout, which of the given devices its selection holds now
     */
    static Set<String> applyChanges(Handle h, List<RolloutRow> rollouts, Selected selected) {
        if (rollouts.isEmpty()) {
            discardChanges(h);
            return Set.of();
        }
        record Change(long seq, String deviceId) {
        }
        List<Change> changes = h.createQuery("SELECT seq, device_id FROM rollout_member_changes ORDER BY seq LIMIT :n")
                .bind("n", CHANGES_PER_EVALUATION).map((rs, ctx) -> new Change(rs.getLong(1), rs.getString(2))).list();
        if (changes.isEmpty()) {
            return Set.of();
        }
        List<String> devices = List.copyOf(new LinkedHashSet<>(changes.stream().map(Change::deviceId).toList()));
        Map<String, Integer> changed = new LinkedHashMap<>(); // rollout: members added minus removed
        for (RolloutRow r : rollouts) {
            for (int i = 0; i < devices.size(); i += BATCH) {
                List<String> batch = devices.subList(i, Math.min(devices.size(), i + BATCH));
                apply(h, r.id(), batch, selected.of(h, r, batch))
                        .ifPresent(delta -> changed.merge(r.id(), delta, Integer::sum));
            }
        }
        changed.forEach((id, delta) -> h.createUpdate("""
                        UPDATE deployments SET members_changed = TRUE, positions_count = positions_count + :n
                        WHERE id = :r""").bind("n", delta).bind("r", id).execute());
        List<Long> seqs = changes.stream().map(Change::seq).toList();
        for (int i = 0; i < seqs.size(); i += BATCH) {
            h.createUpdate("DELETE FROM rollout_member_changes WHERE seq IN (<s>)")
                    .bindList("s", seqs.subList(i, Math.min(seqs.size(), i + BATCH))).execute();
        }
        return changed.keySet();
    }

    /**
     * With no selection to keep, drops up to {@link #DISCARD_PER_EVALUATION} of the oldest committed queue rows
     * at once: a rollout that starts later reads its whole selection, after them.
     */
    private static void discardChanges(Handle h) {
        Optional<Long> bound = h.createQuery("SELECT seq FROM rollout_member_changes ORDER BY seq LIMIT 1 OFFSET :o")
                .bind("o", DISCARD_PER_EVALUATION - 1).mapTo(Long.class).findOne();
        if (bound.isPresent()) {
            h.createUpdate("DELETE FROM rollout_member_changes WHERE seq <= :b").bind("b", bound.get()).execute();
        } else {
            h.createUpdate("DELETE FROM rollout_member_changes").execute();
        }
    }

    /** How many membership changes wait in the queue. */
    static long queued(Handle h) {
        return h.createQuery("SELECT COUNT(*) FROM rollout_member_changes").mapTo(Long.class).one();
    }

    /** Which of the given devices a rollout's selection holds now. */
    interface Selected {
        Set<String> of(Handle h, RolloutRow r, List<String> devices);
    }

    /**
     * Brings one batch of the rollout's rows up to date; returns, when any was added or removed, how many were
     * added minus how many were removed.
     */
    private static Optional<Integer> apply(Handle h, String rolloutId, List<String> devices, Set<String> members) {
        boolean pairs = !postgresql(h);
        Set<String> present = new HashSet<>(bindAmong(h.createQuery(
                "SELECT device_id FROM rollout_positions WHERE " + among(pairs, devices.size())), rolloutId, devices)
                .mapTo(String.class).list());
        List<String> joined = devices.stream().filter(d -> members.contains(d) && !present.contains(d)).toList();
        List<String> left = devices.stream().filter(d -> !members.contains(d) && present.contains(d)).toList();
        delete(h, rolloutId, left);
        if (!joined.isEmpty()) {
            insert(h, rolloutId, joined);
            bindAmong(h.createUpdate("UPDATE rollout_positions p SET admitted = TRUE WHERE "
                    + among(pairs, joined.size()) + " AND " + ADMITTED), rolloutId, joined).execute();
        }
        return joined.isEmpty() && left.isEmpty() ? Optional.empty() : Optional.of(joined.size() - left.size());
    }

    /** Whether the handle's database is PostgreSQL (else H2). */
    private static boolean postgresql(Handle h) {
        try {
            return h.getConnection().getMetaData().getDatabaseProductName().equals("PostgreSQL");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("reading the database's name failed", e);
        }
    }

    /**
     * The rollout's rows of n devices, each found by the primary key. H2: {@code (rollout_id, device_id) IN ((:r,
     * :d0), ...)} (for {@code rollout_id = :r AND device_id IN (...)} H2 reads every row of the rollout).
     * PostgreSQL: {@code rollout_id = :r AND device_id IN (:d0, ...)}, planned in about a millisecond, while
     * planning the row-value form of 1,000 pairs took 0.5 to 2 s (an index scan per pair, OR-ed).
     */
    private static String among(boolean pairs, int n) {
        StringBuilder sql = new StringBuilder(pairs ? "(rollout_id, device_id) IN (" : "rollout_id = :r AND device_id IN (");
        for (int i = 0; i < n; i++) {
            sql.append(i == 0 ? "" : ", ").append(pairs ? "(:r, :d" + i + ")" : ":d" + i);
        }
        return sql.append(')').toString();
    }

    /** Binds {@link #among}'s parameters. */
    private static <T extends SqlStatement<T>> T bindAmong(T statement, String rolloutId, List<String> devices) {
        statement.bind("r", rolloutId);
        for (int i = 0; i < devices.size(); i++) {
            statement.bind("d" + i, devices.get(i));
        }
        return statement;
    }

    /** Inserts rows of the given devices (not admitted), each with its position, in JDBC batches, in this order. */
    static void insert(Handle h, String rolloutId, Collection<String> devices) {
        PreparedBatch batch = h.prepareBatch("""
                INSERT INTO rollout_positions (rollout_id, device_id, position, admitted) VALUES (:r, :d, :p, FALSE)""");
        int pending = 0;
        for (String d : devices) {
            batch.bind("r", rolloutId).bind("d", d).bind("p", Cohorts.position(rolloutId, d)).add();
            if (++pending == BATCH) {
                batch.execute();
                batch = h.prepareBatch("""
                        INSERT INTO rollout_positions (rollout_id, device_id, position, admitted)
                        VALUES (:r, :d, :p, FALSE)""");
                pending = 0;
            }
        }
        if (pending > 0) {
            batch.execute();
        }
    }
}
