package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.devices.AssignmentSource;
import dev.flotilla.server.devices.DeviceEvent;
import dev.flotilla.server.devices.MembershipListener;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.trust.TufStore;
import dev.flotilla.core.tuf.Signer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Deployments and the per-device director assignments they create ({@link Director} signs them). A
 * deployment targets one device, a group or a tag; a group or tag deployment also assigns devices that join
 * while it is active ({@link #membership()}, {@link MembershipAssignments}). Device events move an
 * assignment: {@code installed}, then one of {@code committed}, {@code failed}, {@code rolled_back} (final),
 * a later final report of the same deployment replacing an earlier one ({@link #onEvent}); a final assignment
 * is no longer sent at check-in. A device has at most one
 * assignment: the most recent deployment (creation order, {@code deployments.seq}) wins, whatever order
 * concurrent writers of it come in ({@link Director}).
 */
public final class Deployments implements AssignmentSource {
    private static final Logger LOG = LoggerFactory.getLogger(Deployments.class);
    /** Lifetime of a signed assignment; it is re-signed (with a new counter) when less than a day remains. */
    public static final Duration ASSIGNMENT_EXPIRY = Duration.ofDays(7);
    private static final Duration RESIGN_BEFORE = Duration.ofDays(1);
    private static final Set<String> FINAL = Director.FINAL;
    /** Devices whose assignments one transaction signs when a deployment is created. */
    static final int BATCH = 50;
    private static final Map<String, String> EVENT_STATUS = Map.of("installed", "installed", "committed", "committed",
            "failed", "failed", "rolled_back", "rolled_back");

    private final Jdbi jdbi;
    private final Director director;
    private final AuditLog audit;
    private final Clock clock;
    private final Consumer<String> onAssigned;
    private final MembershipAssignments membership;

    /** @param onAssigned called with each device id that got a new assignment, after the commit (wake-up) */
    public Deployments(Jdbi jdbi, TufStore tuf, Signer director, AuditLog audit, Clock clock,
                       Consumer<String> onAssigned) {
        this.jdbi = jdbi;
        this.director = new Director(tuf, director, clock);
        this.audit = audit;
        this.clock = clock;
        this.onAssigned = onAssigned;
        this.membership = new MembershipAssignments(this.director, audit, onAssigned);
    }

    /** What the device inventory tells about group and tag changes, to assign devices that join. */
    public MembershipListener membership() {
        return membership;
    }

    /**
     * Creates a deployment {@code {"target", "deviceId" | "group" | "tag", "forced"?, "allowEmpty"?}}: every active device
     * it names now is assigned the target, replacing what it had (unless a more recent deployment got to it
     * first). {@code forced} (default false) is signed into each assignment.
     *
     * <p>Two steps. One short transaction (under the membership lock for a group or tag) records the
     * deployment, which from then on assigns devices that join, and its members as pending rows
     * ({@code deployment_pending}); then the members' assignments are signed outside the lock, a batch of
     * {@value #BATCH} devices per transaction ({@link #finishPending}). The answer comes after the last batch;
     * if a batch fails, the answer still comes (the deployment exists) and the server's scheduler signs the
     * rest within a minute.
     *
     * <p>It must reach a device of the release's hardware ({@link Reach}): a device of other hardware is refused
     * (409 {@code hardware_mismatch}), and so is a group or tag without one, unless {@code allowEmpty} is true
     * (409 {@code no_matching_devices}: most often a misspelt name).
     *
     * @throws ApiException 400 for a bad request or an unreleased target, 404 for an unknown device, 409 as above
     */
    public Created create(JsonBody body, Actor actor) {
        String target = body.string("target");
        Optional<String> deviceId = body.optString("deviceId");
        Optional<String> group = body.optString("group", Limits.NAME);
        Optional<String> tag = body.optString("tag", Limits.NAME);
        boolean forced = body.optBoolean("forced", false);
        boolean allowEmpty = body.optBoolean("allowEmpty", false);
        if (Stream.of(deviceId, group, tag).filter(Optional::isPresent).count() != 1) {
            throw ApiException.invalid("give exactly one of 'deviceId', 'group' and 'tag'");
        }
        String id = Secrets.newId("dep_");
        record Made(TargetFile entry, Reach reach) {
        }
        Made made = jdbi.inTransaction(h -> {
            if (deviceId.isEmpty()) {
                membership.lock(h); // a device joining now is either a member here or sees this deployment
            }
            TargetFile e = director.currentEntry(h, target);
            if (deviceId.isPresent() && h.createQuery("SELECT id FROM devices WHERE id = :id AND status = 'active'")
                    .bind("id", deviceId.get()).mapTo(String.class).findOne().isEmpty()) {
                throw ApiException.notFound("active device");
            }
            String column = deviceId.isPresent() ? "deviceId" : group.isPresent() ? "group" : "tag";
            String value = deviceId.or(() -> group).or(() -> tag).orElseThrow();
            Reach reach = Reach.count(h, column, value, e);
            reach.requireDeployable((column.equals("deviceId") ? "device " : column + " ") + "'" + value + "'", target,
                    deviceId.isPresent(), allowEmpty);
            h.createUpdate("""
                            INSERT INTO deployments (id, target_path, device_id, group_name, tag_name, forced, state,
                                                     created_at, created_by)
                            VALUES (:id, :t, :d, :g, :tag, :forced, 'active', :now, :by)""")
                    .bind("id", id).bind("t", target).bind("d", deviceId.orElse(null)).bind("g", group.orElse(null))
                    .bind("tag", tag.orElse(null)).bind("forced", forced)
                    .bind("now", clock.millis()).bind("by", actor.id()).execute();
            String members = deviceId.isPresent()
                    ? "SELECT id FROM devices WHERE id = :v AND status = 'active'"
                    : group.isPresent()
                    ? "SELECT id FROM devices WHERE device_group = :v AND status = 'active'"
                    : "SELECT d.id FROM devices d JOIN device_tags t ON t.device_id = d.id WHERE t.tag = :v AND d.status = 'active'";
            int pending = h.createUpdate("INSERT INTO deployment_pending (deployment_id, device_id) SELECT :id, m.id FROM ("
                            + members + ") m")
                    .bind("id", id).bind("v", deviceId.or(() -> group).or(() -> tag).orElseThrow()).execute();
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("deployment", find(h, id).orElseThrow());
            after.put("members", pending);
            audit.record(h, actor, "deployment.create", "deployment", id, null, after);
            return new Made(e, reach);
        });
        try {
            finishPending(id, made.entry());
        } catch (RuntimeException e) {
            // The deployment exists and assigns joining devices; the scheduler signs what is left (every
            // server runs finishPendingQuietly each minute). Answer with it rather than an error that invites
            // a retry, i.e. a second deployment.
            LOG.warn("signing the assignments of deployment {} failed; the scheduler finishes them", id, e);
        }
        return new Created(get(id), made.reach());
    }

    /** A deployment just made, with whom it reached ({@link Reach}); its JSON is the deployment's plus {@code reach}. */
    public record Created(@com.fasterxml.jackson.annotation.JsonUnwrapped Deployment deployment, Reach reach) {
    }

    /**
     * Signs the pending assignments of every deployment (left by a server that stopped while creating one),
     * with the target's entry in the current release metadata (none, when the target has left it: the rows are
     * dropped). Safe to run on several servers at once and beside {@link #create}: each pending row is signed
     * by whoever deletes it.
     */
    public void finishPending() {
        List<String> ids = jdbi.withHandle(h -> h.createQuery(
                "SELECT DISTINCT deployment_id FROM deployment_pending").mapTo(String.class).list());
        for (String id : ids) {
            String target = jdbi.withHandle(h -> h.createQuery("SELECT target_path FROM deployments WHERE id = :id")
                    .bind("id", id).mapTo(String.class).one());
            Optional<TargetFile> entry = jdbi.withHandle(h -> director.entry(h, target));
            if (entry.isPresent()) {
                finishPending(id, entry.get());
            } else {
                jdbi.useHandle(h -> h.createUpdate("DELETE FROM deployment_pending WHERE deployment_id = :id")
                        .bind("id", id).execute());
            }
        }
    }

    /** {@link #finishPending()}, logging a failure instead of throwing it (for the server's scheduler). */
    public void finishPendingQuietly() {
        try {
            finishPending();
        } catch (RuntimeException e) {
            LOG.warn("signing pending deployment assignments failed; will retry", e);
        }
    }

    /** Signs the pending assignments of one deployment, {@value #BATCH} devices per transaction, in id order. */
    private void finishPending(String id, TargetFile entry) {
        record Dep(long seq, String target, boolean forced) {
        }
        Dep dep = jdbi.withHandle(h -> h.createQuery("SELECT seq, target_path, forced FROM deployments WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> new Dep(rs.getLong(1), rs.getString(2), rs.getBoolean(3))).one());
        Director.Candidate c = new Director.Candidate(id, dep.seq(), dep.target(), entry, dep.forced());
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
            List<String> assigned = jdbi.inTransaction(h -> {
                List<String> out = new java.util.ArrayList<>();
                for (String d : batch) {
                    // whoever deletes the row signs it; a device decommissioned meanwhile is skipped
                    boolean mine = h.createUpdate("DELETE FROM deployment_pending WHERE deployment_id = :id AND device_id = :d")
                            .bind("id", id).bind("d", d).execute() == 1;
                    boolean active = mine && h.createQuery("SELECT status FROM devices WHERE id = :d").bind("d", d)
                            .mapTo(String.class).findOne().filter("active"::equals).isPresent();
                    if (active && director.assign(h, d, c, held -> true).isPresent()) {
                        out.add(d);
                    }
                }
                return out;
            });
            assigned.forEach(onAssigned);
            after = batch.get(batch.size() - 1);
        }
    }

    /**
     * Cancels a deployment: from now on it assigns no device that joins its group or tag. Assignments already
     * issued are not withdrawn (a device may be installing; deploy another target to move devices on).
     * Cancelling a cancelled deployment changes nothing.
     *
     * @throws ApiException 404 for an unknown deployment
     */
    public Deployment cancel(String id, Actor actor) {
        jdbi.useTransaction(h -> {
            membership.lock(h);
            Deployment before = find(h, id).orElseThrow(() -> ApiException.notFound("deployment"));
            if (!before.state().equals(Deployment.ACTIVE)) {
                return;
            }
            h.createUpdate("UPDATE deployments SET state = 'cancelled', cancelled_at = :now, cancelled_by = :by WHERE id = :id")
                    .bind("now", clock.millis()).bind("by", actor.id()).bind("id", id).execute();
            audit.record(h, actor, "deployment.cancel", "deployment", id, before, find(h, id).orElseThrow());
        });
        return get(id);
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
        if (row.isEmpty() || FINAL.contains(row.get().status())) {
            return Optional.empty();
        }
        Row r = row.get();
        if (r.expires() - clock.millis() < RESIGN_BEFORE.toMillis()) {
            boolean forced = h.createQuery("SELECT forced FROM deployments WHERE id = :id").bind("id", r.deploymentId())
                    .mapTo(Boolean.class).one();
            director.resign(h, deviceId, r.deploymentId(), r.target(), director.currentEntry(h, r.target()), forced,
                    clock.millis() + RESIGN_BEFORE.toMillis());
            return h.createQuery("""
                            SELECT body, body_hash FROM device_assignments WHERE device_id = :d
                              AND status NOT IN ('committed', 'failed', 'rolled_back')""").bind("d", deviceId)
                    .map((rs, ctx) -> new Current(rs.getString(1), rs.getString(2))).findOne();
        }
        return Optional.of(new Current(r.body(), r.hash()));
    }

    @Override
    public Optional<String> stateIfFresh(Stored stored) {
        if (stored == null || FINAL.contains(stored.status())) {
            return Optional.of("");
        }
        if (stored.expiresAt() - clock.millis() < RESIGN_BEFORE.toMillis()) {
            return Optional.empty();
        }
        return Optional.of(stored.hash());
    }

    /**
     * Moves the device's assignment for a newly stored event ({@code installed}, {@code committed},
     * {@code failed}, {@code rolled_back}; others change nothing), on the transaction that stores it (a
     * {@link dev.flotilla.server.devices.EventListener}). The status is what the device reported last:
     * <ul>
     * <li>An event naming another deployment in {@code details.deploymentId} than the one the device holds
     * changes nothing.</li>
     * <li>{@code installed} moves a live assignment ({@code assigned}, {@code installed}) only: a finished one
     * is not sent to the device again because of it.</li>
     * <li>A final report ({@code committed}, {@code failed}, {@code rolled_back}) that names the deployment
     * sets the status whatever it was, also after another final report: a device that rolled back and later
     * installed and committed the same deployment's target counts as committed. A final report that names
     * no deployment (e.g. the agent refusing an assignment) ends a live assignment only.</li>
     * </ul>
     * The device's events stay the history of every report ({@code GET /api/v1/devices/{id}/events}).
     */
    public void onEvent(Handle h, DeviceEvent event) {
        String status = EVENT_STATUS.get(event.type());
        if (status == null) {
            return;
        }
        String dep = event.details() == null ? null : event.details().path("deploymentId").asText(null);
        boolean reopensFinal = FINAL.contains(status) && dep != null;
        String sql = "UPDATE device_assignments SET status = :s, updated_at = :now WHERE device_id = :d"
                + (reopensFinal ? "" : " AND status NOT IN ('committed', 'failed', 'rolled_back')")
                + (dep == null ? "" : " AND deployment_id = :dep");
        var update = h.createUpdate(sql).bind("s", status).bind("now", clock.millis()).bind("d", event.deviceId());
        if (dep != null) {
            update.bind("dep", dep);
        }
        update.execute();
    }

    /**
     * The device's signed manifest is the truth for what it runs: when it says the device runs, committed
     * ({@code bootState}), the very image of its assignment's target ({@code installedTarget} and the
     * release's sha256) while the assignment ended {@code rolled_back} or {@code failed}, the assignment
     * becomes {@code committed} (the device installed it again later, and its report of that was lost or
     * named no deployment). A live assignment is left to the device's events.
     */
    @Override
    public void manifestStored(Handle h, String deviceId, JsonNode manifest) {
        String target = manifest.path("installedTarget").asText("");
        String sha256 = manifest.path("hashes").path("sha256").asText("").toLowerCase(java.util.Locale.ROOT);
        if (!"committed".equals(manifest.path("bootState").asText()) || target.isEmpty() || sha256.isEmpty()) {
            return;
        }
        h.createUpdate("""
                        UPDATE device_assignments SET status = 'committed', updated_at = :now
                        WHERE device_id = :d AND target_path = :t AND status IN ('failed', 'rolled_back')
                          AND EXISTS (SELECT 1 FROM releases r WHERE r.target_path = :t AND r.sha256 = :h)""")
                .bind("now", clock.millis()).bind("d", deviceId).bind("t", target).bind("h", sha256).execute();
    }

    public Deployment get(String id) {
        return jdbi.withHandle(h -> find(h, id)).orElseThrow(() -> ApiException.notFound("deployment"));
    }

    /** A page of deployments, newest first. */
    public Page<Deployment> list(Page.Request page) {
        return Page.of(jdbi.withHandle(h -> h.createQuery(
                        "SELECT id FROM deployments ORDER BY seq DESC LIMIT :limit OFFSET :offset")
                .bind("limit", page.limit() + 1).bind("offset", page.offset()).mapTo(String.class).list()
                .stream().map(id -> find(h, id).orElseThrow()).toList()), page);
    }

    private static Optional<Deployment> find(Handle h, String id) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        h.createQuery("SELECT status, COUNT(*) FROM device_assignments WHERE deployment_id = :id GROUP BY status ORDER BY status")
                .bind("id", id).map((rs, ctx) -> counts.put(rs.getString(1), rs.getInt(2))).list();
        return h.createQuery("SELECT * FROM deployments WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> new Deployment(rs.getString("id"), rs.getString("target_path"),
                        rs.getString("device_id"), rs.getString("group_name"), rs.getString("tag_name"),
                        rs.getBoolean("forced"), rs.getString("state"),
                        Instant.ofEpochMilli(rs.getLong("created_at")).toString(),
                        rs.getObject("cancelled_at") == null ? null
                                : Instant.ofEpochMilli(rs.getLong("cancelled_at")).toString(), counts))
                .findOne();
    }
}
