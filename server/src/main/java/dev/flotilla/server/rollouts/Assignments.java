package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.devices.AssignmentSource;
import dev.flotilla.server.devices.DeviceEvent;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The per-device director assignments the rollouts hand out ({@link Director} signs them), as check-in and the
 * device's events see them. Device events move an assignment: {@code installed}, then one of {@code committed},
 * {@code failed}, {@code rolled_back} (final), a later final report of the same rollout replacing an earlier one
 * ({@link #onEvent}); a final assignment is no longer sent at check-in (a withdrawn one is, with its signed withdrawn flag). The same events move
 * the device's row in its rollout ({@link RolloutDevices#onEvent}), which the gates count.
 */
public final class Assignments implements AssignmentSource {
    private static final Logger LOG = LoggerFactory.getLogger(Assignments.class);
    /** Lifetime of a signed assignment; it is re-signed (with a new counter) when less than a day remains. */
    public static final Duration ASSIGNMENT_EXPIRY = Duration.ofDays(7);
    private static final Duration RESIGN_BEFORE = Duration.ofDays(1);
    /** Devices whose assignments one transaction signs. */
    static final int BATCH = 50;
    private static final Map<String, String> EVENT_STATUS = Map.of("installed", "installed", "committed", "committed",
            "failed", "failed", "rolled_back", "rolled_back");

    private final Jdbi jdbi;
    private final Director director;
    private final Clock clock;
    private final Consumer<String> onAssigned;
    private final Halts halts;

    Assignments(Jdbi jdbi, Director director, Clock clock, Consumer<String> onAssigned, Halts halts) {
        this.halts = halts;
        this.jdbi = jdbi;
        this.director = director;
        this.clock = clock;
        this.onAssigned = onAssigned;
    }

    /**
     * Signs the pending assignments of every rollout (left by a server that stopped while admitting devices),
     * with the target's entry in the current release metadata (none, when the target has left it: the rows are
     * dropped). Safe to run on several servers at once: each pending row is signed by whoever deletes it.
     */
    public void finishPending() {
        List<String> ids = jdbi.withHandle(h -> h.createQuery(
                "SELECT DISTINCT deployment_id FROM deployment_pending").mapTo(String.class).list());
        ids.forEach(this::finishPending);
    }

    /** {@link #finishPending()}, logging a failure instead of throwing it (for the server's scheduler). */
    public void finishPendingQuietly() {
        try {
            finishPending();
        } catch (RuntimeException e) {
            LOG.warn("signing pending assignments failed; will retry", e);
        }
    }

    /**
     * Signs the pending assignments of one rollout, {@value #BATCH} devices per transaction, in id order (with
     * {@code maxConcurrentDownloads}: only into free download slots, {@link DownloadSlots}). A device that holds
     * a more recent rollout's assignment is {@code superseded} in this one; one that is no longer active is
     * {@code skipped}.
     */
    void finishPending(String id) {
        Optional<RolloutRow> row = jdbi.withHandle(h -> RolloutRow.find(h, id));
        Optional<TargetFile> entry = row.flatMap(r -> jdbi.withHandle(h -> director.entry(h, r.target())));
        if (entry.isEmpty()) {
            jdbi.useHandle(h -> h.createUpdate("DELETE FROM deployment_pending WHERE deployment_id = :id")
                    .bind("id", id).execute());
            return;
        }
        RolloutRow r = row.get();
        Director.Candidate c = new Director.Candidate(r, r.target(), entry.get());
        if (r.policies().maxConcurrentDownloads() != null && !r.deployment()) {
            jdbi.inTransaction(h -> signIntoFreeSlots(h, c, r.policies().maxConcurrentDownloads()))
                    .forEach(onAssigned);
            return;
        }
        String after = "";
        while (true) {
            String from = after;
            List<String> batch = jdbi.withHandle(h -> h.createQuery("""
                            SELECT device_id FROM deployment_pending WHERE deployment_id = :id AND device_id > :from
                            ORDER BY device_id LIMIT :n""")
                    .bind("id", id).bind("from", from).bind("n", BATCH).mapTo(String.class).list());
            if (batch.isEmpty()) {
                return;
            }
            jdbi.inTransaction(h -> signBatch(h, c, batch)).forEach(onAssigned);
            after = batch.get(batch.size() - 1);
        }
    }

    /**
     * Signs waiting devices of a rollout with {@code maxConcurrentDownloads} into its free download slots
     * ({@link DownloadSlots}), in id order, while it is active; each signed device's timeout starts now.
     */
    private List<String> signIntoFreeSlots(Handle h, Director.Candidate c, long limit) {
        Evaluator.lock(h);
        List<String> out = new java.util.ArrayList<>();
        boolean active = RolloutRow.find(h, c.deploymentId()).map(r -> RolloutRow.ACTIVE.equals(r.state()))
                .orElse(false);
        while (active) {
            long free = limit - DownloadSlots.occupied(h, c.deploymentId());
            List<String> batch = free <= 0 ? List.of() : h.createQuery("SELECT device_id FROM deployment_pending"
                            + " WHERE deployment_id = :id ORDER BY device_id LIMIT :n")
                    .bind("id", c.deploymentId()).bind("n", Math.min(free, BATCH)).mapTo(String.class).list();
            if (batch.isEmpty()) {
                break;
            }
            List<String> signed = signBatch(h, c, batch);
            for (String d : signed) {
                h.createUpdate("UPDATE rollout_devices SET admitted_at = :now WHERE rollout_id = :r AND device_id = :d")
                        .bind("now", clock.millis()).bind("r", c.deploymentId()).bind("d", d).execute();
            }
            out.addAll(signed);
        }
        return out;
    }

    private List<String> signBatch(Handle h, Director.Candidate c, List<String> batch) {
        List<String> out = new java.util.ArrayList<>();
        for (String d : batch) {
            // whoever deletes the row signs it; a device decommissioned meanwhile is skipped
            boolean mine = h.createUpdate("DELETE FROM deployment_pending WHERE deployment_id = :id AND device_id = :d")
                    .bind("id", c.deploymentId()).bind("d", d).execute() == 1;
            if (!mine) {
                continue;
            }
            boolean active = h.createQuery("SELECT status FROM devices WHERE id = :d").bind("d", d)
                    .mapTo(String.class).findOne().filter("active"::equals).isPresent();
            if (!active) {
                RolloutDevices.setState(h, c.deploymentId(), d, "skipped", "decommissioned", clock.millis());
            } else if (director.assign(h, d, c, held -> true, true).isPresent()) {
                out.add(d);
            } else {
                RolloutDevices.setState(h, c.deploymentId(), d, "superseded", "a more recent rollout holds it",
                        clock.millis());
            }
        }
        return out;
    }

    @Override
    public Optional<Current> current(Handle h, String deviceId) {
        record Row(String deploymentId, String target, String status, String body, String hash, long expires) {
        }
        Optional<Row> row = h.createQuery("""
                        SELECT deployment_id, target_path, status, body, body_hash, expires_at
                        FROM device_assignments WHERE device_id = :d""").bind("d", deviceId)
                .map((rs, ctx) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getLong(6)))
                .findOne();
        if (row.isEmpty() || Director.NOT_SERVED.contains(row.get().status())) {
            return Optional.empty();
        }
        Row r = row.get();
        if (r.expires() - clock.millis() < RESIGN_BEFORE.toMillis()) {
            RolloutRow rollout = RolloutRow.find(h, r.deploymentId()).orElseThrow();
            director.resign(h, deviceId, r.deploymentId(), r.target(), director.currentEntry(h, r.target()),
                    Director.flags(h, deviceId, rollout.forced(), rollout.policies(), Director.WITHDRAWN.equals(r.status()),
                            rollout.soakSeconds()),
                    clock.millis() + RESIGN_BEFORE.toMillis());
            return h.createQuery("SELECT body, body_hash FROM device_assignments WHERE device_id = :d"
                            + " AND status NOT IN " + Director.NOT_SERVED_SQL).bind("d", deviceId)
                    .map((rs, ctx) -> new Current(rs.getString(1), rs.getString(2))).findOne();
        }
        return Optional.of(new Current(r.body(), r.hash()));
    }

    @Override
    public Optional<String> stateIfFresh(Stored stored) {
        if (stored == null || Director.NOT_SERVED.contains(stored.status())) {
            return Optional.of("");
        }
        if (stored.expiresAt() - clock.millis() < RESIGN_BEFORE.toMillis()) {
            return Optional.empty();
        }
        return Optional.of(stored.hash());
    }

    /**
     * Moves the device's assignment and its row in the rollout for a newly stored event, on the transaction that
     * stores it (a {@link dev.flotilla.server.devices.EventListener}). The assignment's status is what the device
     * reported last ({@code installed}, {@code committed}, {@code failed}, {@code rolled_back}; others change
     * nothing):
     * <ul>
     * <li>An event naming another rollout in {@code details.deploymentId} than the one the device holds
     * changes nothing.</li>
     * <li>{@code installed} moves a live assignment ({@code assigned}, {@code installed}) only: a finished or
     * withdrawn one is not sent to the device again because of it.</li>
     * <li>A final report ({@code committed}, {@code failed}, {@code rolled_back}) that names the rollout sets the
     * status whatever it was. A final report that names no rollout (e.g. the agent refusing an assignment) ends a
     * live assignment only.</li>
     * </ul>
     * The rollout row follows the rules of {@link RolloutDevices#onEvent}, for the rollout the event names, or
     * else the one whose assignment the device holds. A device that commits the release of a rollout halted with
     * {@code onHalt: revert} is then sent back to its previous release ({@link Halts#revertLate}).
     */
    public void onEvent(Handle h, DeviceEvent event) {
        String dep = event.details() == null ? null : event.details().path("deploymentId").asText(null);
        // the rollout row first, then the assignment: the order the evaluator's writes take (no deadlock)
        String rollout = dep != null ? dep : h.createQuery("SELECT deployment_id FROM device_assignments WHERE device_id = :d")
                .bind("d", event.deviceId()).mapTo(String.class).findOne().orElse(null);
        if (rollout != null) {
            RolloutRow.find(h, rollout).ifPresent(r -> RolloutDevices.onEvent(h, r.id(), event,
                    r.soakSeconds() * 1000, clock.millis()));
        }
        String status = EVENT_STATUS.get(event.type());
        if (status == null) {
            return;
        }
        boolean reopensFinal = Director.FINAL.contains(status) && dep != null;
        String sql = "UPDATE device_assignments SET status = :s, updated_at = :now WHERE device_id = :d"
                + (reopensFinal ? "" : " AND status NOT IN " + Director.NOT_SERVED_SQL)
                + (dep == null ? "" : " AND deployment_id = :dep");
        var update = h.createUpdate(sql).bind("s", status).bind("now", clock.millis()).bind("d", event.deviceId());
        if (dep != null) {
            update.bind("dep", dep);
        }
        update.execute();
        if (status.equals("committed") && rollout != null) { // a trial that finished after a halt with revert
            RolloutRow.find(h, rollout).filter(r -> RolloutRow.HALTED.equals(r.state()) && r.policies().revert())
                    .ifPresent(r -> halts.revertLate(h, r, event.deviceId(), clock.millis()));
        }
    }

    /**
     * The device's signed manifest is the truth for what it runs: when it says the device runs, committed
     * ({@code bootState}), the very image of its assignment's target ({@code installedTarget} and the release's
     * sha256) while the assignment ended {@code rolled_back} or {@code failed}, the assignment (and its rollout
     * row) becomes {@code committed}. A {@code healthState} other than {@code ok} or {@code unknown} (the agent has
     * run no round of checks since it started: no verdict) turns the device's committed rollout rows
     * {@code failed} (reason {@code unhealthy}) while they are within their stage's soak time.
     */
    @Override
    public void manifestStored(Handle h, String deviceId, JsonNode manifest) {
        String health = manifest.path("healthState").asText(null);
        if (health != null && !health.equals("ok") && !health.equals("unknown")) { // unknown: no round run yet
            RolloutDevices.unhealthy(h, deviceId, clock.millis());
        }
        String target = manifest.path("installedTarget").asText("");
        String sha256 = manifest.path("hashes").path("sha256").asText("").toLowerCase(java.util.Locale.ROOT);
        if (!"committed".equals(manifest.path("bootState").asText()) || target.isEmpty() || sha256.isEmpty()) {
            return;
        }
        int ended = h.createUpdate("""
                        UPDATE device_assignments SET status = 'committed', updated_at = :now
                        WHERE device_id = :d AND target_path = :t AND status IN ('failed', 'rolled_back')
                          AND EXISTS (SELECT 1 FROM releases r WHERE r.target_path = :t AND r.sha256 = :h)""")
                .bind("now", clock.millis()).bind("d", deviceId).bind("t", target).bind("h", sha256).execute();
        if (ended > 0) {
            h.createUpdate("""
                            UPDATE rollout_devices SET state = 'committed', reason = NULL, committed_at = :now, updated_at = :now
                            WHERE device_id = :d AND state IN ('failed', 'rolled_back')
                              AND rollout_id = (SELECT deployment_id FROM device_assignments WHERE device_id = :d)""")
                    .bind("now", clock.millis()).bind("d", deviceId).execute();
        }
    }
}
