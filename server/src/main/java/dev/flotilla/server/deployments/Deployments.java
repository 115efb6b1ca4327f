package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.devices.AssignmentSource;
import dev.flotilla.server.devices.MembershipListener;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.trust.TufStore;
import dev.flotilla.core.tuf.Signer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

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
 * assignment forward: {@code installed}, then one of {@code committed}, {@code failed},
 * {@code rolled_back} (final); a final assignment is no longer sent at check-in. A device has at most one
 * assignment: a newer deployment replaces it.
 */
public final class Deployments implements AssignmentSource {
    /** Lifetime of a signed assignment; it is re-signed (with a new counter) when less than a day remains. */
    public static final Duration ASSIGNMENT_EXPIRY = Duration.ofDays(7);
    private static final Duration RESIGN_BEFORE = Duration.ofDays(1);
    private static final Set<String> FINAL = Set.of("committed", "failed", "rolled_back");
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
     * Creates a deployment {@code {"target", "deviceId" | "group" | "tag", "forced"?}}: every active device
     * it names now is assigned the target (replacing what it had). {@code forced} (default false) is signed
     * into each assignment.
     *
     * @throws ApiException 400 for a bad request or an unreleased target, 404 for an unknown device
     */
    public Deployment create(JsonBody body, Actor actor) {
        String target = body.string("target");
        Optional<String> deviceId = body.optString("deviceId");
        Optional<String> group = body.optString("group");
        Optional<String> tag = body.optString("tag");
        boolean forced = body.optBoolean("forced", false);
        if (Stream.of(deviceId, group, tag).filter(Optional::isPresent).count() != 1) {
            throw ApiException.invalid("give exactly one of 'deviceId', 'group' and 'tag'");
        }
        String id = Secrets.newId("dep_");
        List<String> devices = jdbi.inTransaction(h -> {
            if (deviceId.isEmpty()) {
                membership.lock(h); // a device joining now is either seen here or sees this deployment
            }
            TargetFile entry = director.currentEntry(h, target);
            List<String> ids;
            if (deviceId.isPresent()) {
                ids = h.createQuery("SELECT id FROM devices WHERE id = :id AND status = 'active'")
                        .bind("id", deviceId.get()).mapTo(String.class).list();
                if (ids.isEmpty()) {
                    throw ApiException.notFound("active device");
                }
            } else if (group.isPresent()) {
                ids = h.createQuery("SELECT id FROM devices WHERE device_group = :g AND status = 'active' ORDER BY id")
                        .bind("g", group.get()).mapTo(String.class).list();
            } else {
                ids = h.createQuery("""
                                SELECT d.id FROM devices d JOIN device_tags t ON t.device_id = d.id
                                WHERE t.tag = :t AND d.status = 'active' ORDER BY d.id""")
                        .bind("t", tag.get()).mapTo(String.class).list();
            }
            h.createUpdate("""
                            INSERT INTO deployments (id, target_path, device_id, group_name, tag_name, forced, state,
                                                     created_at, created_by)
                            VALUES (:id, :t, :d, :g, :tag, :forced, 'active', :now, :by)""")
                    .bind("id", id).bind("t", target).bind("d", deviceId.orElse(null)).bind("g", group.orElse(null))
                    .bind("tag", tag.orElse(null)).bind("forced", forced)
                    .bind("now", clock.millis()).bind("by", actor.id()).execute();
            for (String d : ids) {
                h.createUpdate("DELETE FROM device_assignments WHERE device_id = :d").bind("d", d).execute();
                director.issue(h, d, id, target, entry, forced, "assigned");
            }
            audit.record(h, actor, "deployment.create", "deployment", id, null, find(h, id).orElseThrow());
            return ids;
        });
        devices.forEach(onAssigned);
        return get(id);
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
            h.createUpdate("DELETE FROM device_assignments WHERE device_id = :d").bind("d", deviceId).execute();
            director.issue(h, deviceId, r.deploymentId(), r.target(), director.currentEntry(h, r.target()), forced,
                    r.status());
            return current(h, deviceId);
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
     * Moves the device's assignment forward for reported events ({@code installed}, {@code committed},
     * {@code failed}, {@code rolled_back}). An event naming another deployment in {@code details.deploymentId}
     * is ignored; a final state is never left.
     */
    public void onEvents(String deviceId, JsonNode events) {
        if (events == null || !events.isArray()) {
            return;
        }
        for (JsonNode e : events) {
            String status = EVENT_STATUS.get(e.path("type").asText(""));
            if (status == null) {
                continue;
            }
            String dep = e.path("details").path("deploymentId").asText(null);
            String sql = """
                    UPDATE device_assignments SET status = :s, updated_at = :now
                    WHERE device_id = :d AND status NOT IN ('committed', 'failed', 'rolled_back')"""
                    + (dep == null ? "" : " AND deployment_id = :dep");
            jdbi.useHandle(h -> {
                var update = h.createUpdate(sql).bind("s", status).bind("now", clock.millis()).bind("d", deviceId);
                if (dep != null) {
                    update.bind("dep", dep);
                }
                update.execute();
            });
        }
    }

    public Deployment get(String id) {
        return jdbi.withHandle(h -> find(h, id)).orElseThrow(() -> ApiException.notFound("deployment"));
    }

    public Page<Deployment> list(Page.Request page) {
        return Page.of(jdbi.withHandle(h -> h.createQuery(
                        "SELECT id FROM deployments ORDER BY created_at, id LIMIT :limit OFFSET :offset")
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
