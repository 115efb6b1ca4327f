package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.devices.DeviceEvent;
import org.jdbi.v3.core.Handle;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The table {@code rollout_devices}: every device a rollout admitted and how it fared there. Runs on the
 * caller's handle. States: {@code assigned} (the funnel's "pending"), {@code downloading}, {@code downloaded},
 * {@code installing}, {@code trial} (live); {@code committed}; {@code failed}, {@code rolled_back},
 * {@code timed_out} (failures); {@code withdrawn}, {@code superseded} (a more recent rollout has the device),
 * {@code skipped} (it already ran the target, or left), {@code reverted} (sent back to its previous release).
 */
final class RolloutDevices {
    static final List<String> LIVE = List.of("assigned", "downloading", "downloaded", "installing", "trial");
    static final String LIVE_SQL = "('assigned', 'downloading', 'downloaded', 'installing', 'trial')";
    static final Set<String> FAILURES = Set.of("failed", "rolled_back", "timed_out");
    /** Live states before the installation started: a halt or abort withdraws these ({@link Halts#withdraw}). */
    static final String NOT_INSTALLING_SQL = "('assigned', 'downloading', 'downloaded')";
    /**
     * What a withdrawn row still follows: the device was already arming its trial when the withdrawal was made
     * (it checks in before it arms, so this is a narrow race), and its outcome counts.
     */
    private static final Set<String> PAST_WITHDRAWAL = Set.of("installing", "trial", "committed", "failed",
            "rolled_back");
    /** The funnel's columns, in order ({@code pending} is the state {@code assigned}). */
    static final List<String> FUNNEL = List.of("pending", "downloading", "downloaded", "installing", "trial",
            "committed", "failed", "rolled_back", "timed_out", "withdrawn", "superseded", "skipped", "reverted");
    private static final Map<String, String> EVENT_STATE = Map.ofEntries(
            Map.entry("download_started", "downloading"), Map.entry("download_progress", "downloading"),
            Map.entry("downloaded", "downloaded"), Map.entry("verified", "downloaded"),
            Map.entry("installed", "installing"), Map.entry("rebooting", "installing"),
            Map.entry("trial_boot", "trial"), Map.entry("committed", "committed"), Map.entry("failed", "failed"),
            Map.entry("rolled_back", "rolled_back"), Map.entry("health_failed", "failed"));

    private RolloutDevices() {
    }

    /**
     * Records that the rollout admitted the device in {@code stage} (state {@code assigned}); once per device.
     * Notes it in the rollout's kept positions too ({@link Positions#admitted}).
     */
    static void admit(Handle h, String rolloutId, Selection.Member m, int stage, long now) {
        h.createUpdate("""
                        INSERT INTO rollout_devices (rollout_id, device_id, stage, state, hardware_id, previous_target,
                            previous_version, previous_security, admitted_at, updated_at)
                        VALUES (:r, :d, :s, 'assigned', :hw, :pt, :pv, :ps, :now, :now)""")
                .bind("r", rolloutId).bind("d", m.id()).bind("s", stage).bind("hw", m.hardwareId())
                .bind("pt", m.installedTarget()).bind("pv", m.installedVersion()).bind("ps", m.securityVersion())
                .bind("now", now).execute();
        Positions.admitted(h, rolloutId, m.id());
    }

    /** The devices the rollout admitted so far (any state). */
    static Set<String> admitted(Handle h, String rolloutId) {
        return new java.util.HashSet<>(h.createQuery("SELECT device_id FROM rollout_devices WHERE rollout_id = :r")
                .bind("r", rolloutId).mapTo(String.class).list());
    }

    static void setState(Handle h, String rolloutId, String deviceId, String state, String reason, long now) {
        h.createUpdate("""
                        UPDATE rollout_devices SET state = :s, reason = :reason, updated_at = :now
                        WHERE rollout_id = :r AND device_id = :d""")
                .bind("s", state).bind("reason", reason).bind("now", now).bind("r", rolloutId).bind("d", deviceId)
                .execute();
    }

    /**
     * Moves the device's row in the rollout for a device event. Live rows follow every event; a committed row
     * turns {@code failed} (reason {@code health_failed}) or {@code rolled_back} only within {@code soakMillis}
     * of its commit (post-commit regression); a failed or rolled-back row turns committed when the device commits
     * later; a withdrawn row follows the device's installation, should it have started one before it heard of
     * the withdrawal; other rows ({@code timed_out}, {@code superseded}, ...) no longer move. The row is read
     * locked: an event that arrives while a halt withdraws the device waits for the halt's commit and decides on
     * the withdrawn row, rather than on the row before it, which it would then overwrite.
     */
    static void onEvent(Handle h, String rolloutId, DeviceEvent e, long soakMillis, long now) {
        String next = EVENT_STATE.get(e.type());
        if (next == null) {
            return;
        }
        record Row(String state, Long committedAt) {
        }
        Optional<Row> row = h.createQuery("""
                        SELECT state, committed_at FROM rollout_devices WHERE rollout_id = :r AND device_id = :d
                        FOR UPDATE""")
                .bind("r", rolloutId).bind("d", e.deviceId())
                .map((rs, ctx) -> new Row(rs.getString(1), (Long) rs.getObject(2, Long.class))).findOne();
        if (row.isEmpty()) {
            return;
        }
        String cur = row.get().state();
        boolean moves = LIVE.contains(cur)
                || (cur.equals("committed") && (next.equals("failed") || next.equals("rolled_back"))
                    && row.get().committedAt() != null && now - row.get().committedAt() < soakMillis)
                || ((cur.equals("failed") || cur.equals("rolled_back")) && next.equals("committed"))
                || (cur.equals("withdrawn") && PAST_WITHDRAWAL.contains(next));
        if (!moves || cur.equals(next)) {
            return;
        }
        h.createUpdate("""
                        UPDATE rollout_devices SET state = :s, reason = :reason, updated_at = :now, committed_at = :c
                        WHERE rollout_id = :r AND device_id = :d""")
                .bind("c", next.equals("committed") ? Long.valueOf(now) : row.get().committedAt()).bind("s", next).bind("reason", next.equals("committed") ? null : reason(e)).bind("now", now)
                .bind("r", rolloutId).bind("d", e.deviceId()).execute();
    }

    /** The reason code of a failure event: {@code details.reason}, else {@code details.code}, else its type. */
    private static String reason(DeviceEvent e) {
        JsonNode d = e.details();
        String r = d == null ? null : d.path("reason").asText(d.path("code").asText(null));
        String out = r == null || r.isBlank() ? e.type() : r;
        return out.length() > 200 ? out.substring(0, 200) : out;
    }

    /**
     * Live rows of {@code stage} admitted before {@code admittedBefore} become {@code timed_out}; returns how many.
     * A device still waiting for its assignment to be signed (a download slot, {@link DownloadSlots}) does not.
     */
    static int timeOut(Handle h, String rolloutId, int stage, long admittedBefore, long now) {
        return h.createUpdate("UPDATE rollout_devices SET state = 'timed_out', reason = 'timeout', updated_at = :now"
                        + " WHERE rollout_id = :r AND stage = :s AND admitted_at < :before AND state IN " + LIVE_SQL
                        + " AND NOT EXISTS (SELECT 1 FROM deployment_pending p WHERE p.deployment_id = :r"
                        + " AND p.device_id = rollout_devices.device_id)")
                .bind("now", now).bind("r", rolloutId).bind("s", stage).bind("before", admittedBefore).execute();
    }

    /** Device counts by state, over rows not acknowledged by an operator (what the gates see). */
    static Map<String, Integer> counts(Handle h, String rolloutId) {
        Map<String, Integer> out = new LinkedHashMap<>();
        h.createQuery("""
                        SELECT state, COUNT(*) FROM rollout_devices WHERE rollout_id = :r AND acknowledged = FALSE
                        GROUP BY state""")
                .bind("r", rolloutId).map((rs, ctx) -> out.put(rs.getString(1), rs.getInt(2))).list();
        return out;
    }

    /** Device counts by state over every row of the rollout, acknowledged or not (what the chart shows). */
    static Map<String, Integer> totals(Handle h, String rolloutId) {
        Map<String, Integer> out = new LinkedHashMap<>();
        h.createQuery("SELECT state, COUNT(*) FROM rollout_devices WHERE rollout_id = :r GROUP BY state")
                .bind("r", rolloutId).map((rs, ctx) -> out.put(rs.getString(1), rs.getInt(2))).list();
        return out;
    }

    /** Per stage (index), the funnel: counts by state with every column present ({@code assigned} as pending). */
    static Map<Integer, Map<String, Integer>> funnel(Handle h, String rolloutId) {
        Map<Integer, Map<String, Integer>> out = new java.util.TreeMap<>();
        h.createQuery("SELECT stage, state, COUNT(*) FROM rollout_devices WHERE rollout_id = :r GROUP BY stage, state")
                .bind("r", rolloutId).map((rs, ctx) -> {
                    Map<String, Integer> f = out.computeIfAbsent(rs.getInt(1), k -> emptyFunnel());
                    String state = rs.getString(2).equals("assigned") ? "pending" : rs.getString(2);
                    f.merge(state, rs.getInt(3), Integer::sum);
                    return 0;
                }).list();
        return out;
    }

    /**
     * A page of the rollout's device rows by device id after {@code after} (null: from the first), only in
     * {@code state} when given (a funnel column: {@code pending} is the state {@code assigned}).
     */
    static Rollout.DevicePage page(Handle h, String rolloutId, String state, String after, int limit) {
        String stored = "pending".equals(state) ? "assigned" : state;
        var q = h.createQuery("SELECT device_id, stage, state, reason, updated_at FROM rollout_devices"
                        + " WHERE rollout_id = :r" + (stored == null ? "" : " AND state = :s")
                        + (after == null ? "" : " AND device_id > :after") + " ORDER BY device_id LIMIT :n")
                .bind("r", rolloutId).bind("n", limit + 1);
        if (stored != null) {
            q.bind("s", stored);
        }
        if (after != null) {
            q.bind("after", after);
        }
        List<Rollout.DeviceRow> rows = q.map((rs, ctx) -> new Rollout.DeviceRow(rs.getString(1), rs.getInt(2),
                rs.getString(3).equals("assigned") ? "pending" : rs.getString(3), rs.getString(4),
                java.time.Instant.ofEpochMilli(rs.getLong(5)).toString())).list();
        boolean more = rows.size() > limit;
        List<Rollout.DeviceRow> items = more ? List.copyOf(rows.subList(0, limit)) : rows;
        return new Rollout.DevicePage(items, more ? items.get(items.size() - 1).deviceId() : null);
    }

    /** How many devices the rollout admitted, how many of them are committed, and when it last admitted one. */
    record Progress(long admitted, long committed, Long lastAdmittedAt) {
    }

    static Progress progress(Handle h, String rolloutId) {
        return h.createQuery("""
                        SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'committed' THEN 1 ELSE 0 END), 0),
                               MAX(admitted_at)
                        FROM rollout_devices WHERE rollout_id = :r""")
                .bind("r", rolloutId).map((rs, ctx) -> new Progress(rs.getLong(1), rs.getLong(2),
                        (Long) rs.getObject(3, Long.class))).one();
    }

    static Map<String, Integer> emptyFunnel() {
        Map<String, Integer> f = new LinkedHashMap<>();
        FUNNEL.forEach(s -> f.put(s, 0));
        return f;
    }

    /** Failures (failed, rolled back, timed out) counted by {@code column}: reason, hardware_id or previous_version. */
    static Map<String, Integer> failuresBy(Handle h, String rolloutId, String column) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        h.createQuery("SELECT " + column + ", COUNT(*) FROM rollout_devices WHERE rollout_id = :r"
                        + " AND state IN ('failed', 'rolled_back', 'timed_out') GROUP BY " + column)
                .bind("r", rolloutId)
                .map((rs, ctx) -> out.put(rs.getString(1) == null ? "unknown" : rs.getString(1), rs.getInt(2))).list();
        return out;
    }

    /**
     * The device reported itself unhealthy: each of its committed rows in an active or paused rollout that is
     * still within its stage's soak time (since the commit) becomes {@code failed}, reason {@code unhealthy}.
     * The device's rows are read locked, as in {@link #onEvent}: a report that arrives while a halt reverts the
     * device decides on the reverted row and leaves it.
     */
    static void unhealthy(Handle h, String deviceId, long now) {
        record Row(String rolloutId, String state, int stage, Long committedAt) {
        }
        List<Row> rows = h.createQuery("""
                        SELECT rollout_id, state, stage, committed_at FROM rollout_devices WHERE device_id = :d
                        FOR UPDATE""")
                .bind("d", deviceId).map((rs, ctx) -> new Row(rs.getString(1), rs.getString(2), rs.getInt(3),
                        (Long) rs.getObject(4, Long.class))).list();
        for (Row r : rows) {
            if (!r.state().equals("committed") || r.committedAt() == null) {
                continue;
            }
            RolloutRow rollout = RolloutRow.find(h, r.rolloutId()).orElseThrow();
            if (!rollout.state().equals("active") && !rollout.state().equals("paused")) {
                continue;
            }
            Plan plan = rollout.plan();
            long soak = plan.soakSeconds(Math.min(r.stage(), plan.stages().size() - 1)) * 1000;
            if (now - r.committedAt() < soak) {
                setState(h, r.rolloutId(), deviceId, "failed", "unhealthy", now);
            }
        }
    }
}
