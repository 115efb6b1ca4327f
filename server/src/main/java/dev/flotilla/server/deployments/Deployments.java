package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.director.Assignment;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.devices.AssignmentSource;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.trust.TufStore;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Signer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Deployments and the per-device director assignments they create. Each assignment is director metadata
 * for one device ({@link Assignment}), signed by the online director key, with a per-device counter that
 * only grows (table {@code director_counters}, updated under a row lock). The target's length and hashes
 * are copied from the current signed targets metadata. Device events move an assignment forward:
 * {@code installed}, then one of {@code committed}, {@code failed}, {@code rolled_back} (final); a final
 * assignment is no longer sent at check-in.
 */
public final class Deployments implements AssignmentSource {
    /** Lifetime of a signed assignment; it is re-signed (with a new counter) when less than a day remains. */
    public static final Duration ASSIGNMENT_EXPIRY = Duration.ofDays(7);
    private static final Duration RESIGN_BEFORE = Duration.ofDays(1);
    private static final Set<String> FINAL = Set.of("committed", "failed", "rolled_back");
    private static final Map<String, String> EVENT_STATUS = Map.of("installed", "installed", "committed", "committed",
            "failed", "failed", "rolled_back", "rolled_back");

    private final Jdbi jdbi;
    private final TufStore tuf;
    private final Signer director;
    private final AuditLog audit;
    private final Clock clock;
    private final Consumer<String> onAssigned;

    /** @param onAssigned called with each device id that got a new assignment, after the commit (wake-up) */
    public Deployments(Jdbi jdbi, TufStore tuf, Signer director, AuditLog audit, Clock clock,
                       Consumer<String> onAssigned) {
        this.jdbi = jdbi;
        this.tuf = tuf;
        this.director = director;
        this.audit = audit;
        this.clock = clock;
        this.onAssigned = onAssigned;
    }

    /**
     * Creates a deployment {@code {"target", "deviceId"}} or {@code {"target", "group"}}.
     *
     * @throws ApiException 400 for a bad request or an unreleased target, 404 for an unknown device
     */
    public Deployment create(JsonBody body, Actor actor) {
        String target = body.string("target");
        Optional<String> deviceId = body.optString("deviceId");
        Optional<String> group = body.optString("group");
        if (deviceId.isPresent() == group.isPresent()) {
            throw ApiException.invalid("give exactly one of 'deviceId' and 'group'");
        }
        String id = Secrets.newId("dep_");
        List<String> devices = jdbi.inTransaction(h -> {
            TargetFile entry = currentEntry(h, target);
            List<String> ids = deviceId.isPresent()
                    ? h.createQuery("SELECT id FROM devices WHERE id = :id AND status = 'active'")
                    .bind("id", deviceId.get()).mapTo(String.class).list()
                    : h.createQuery("SELECT id FROM devices WHERE device_group = :g AND status = 'active' ORDER BY id")
                    .bind("g", group.get()).mapTo(String.class).list();
            if (deviceId.isPresent() && ids.isEmpty()) {
                throw ApiException.notFound("active device");
            }
            h.createUpdate("""
                            INSERT INTO deployments (id, target_path, device_id, group_name, created_at, created_by)
                            VALUES (:id, :t, :d, :g, :now, :by)""")
                    .bind("id", id).bind("t", target).bind("d", deviceId.orElse(null)).bind("g", group.orElse(null))
                    .bind("now", clock.millis()).bind("by", actor.id()).execute();
            for (String d : ids) {
                h.createUpdate("DELETE FROM device_assignments WHERE device_id = :d").bind("d", d).execute();
                issue(h, d, id, target, entry, "assigned");
            }
            audit.record(h, actor, "deployment.create", "deployment", id, null, find(h, id).orElseThrow());
            return ids;
        });
        devices.forEach(onAssigned);
        return get(id);
    }

    /** The length and hashes of {@code target} in the current signed targets. */
    private TargetFile currentEntry(Handle h, String target) {
        TufStore.Stored stored = tuf.latest(h, "targets")
                .orElseThrow(() -> ApiException.badRequest("unknown_target", "nothing has been released yet"));
        TargetFile entry = Metadata.fromBytes(stored.bytes(), Targets.class).signed().targets().get(target);
        if (entry == null) {
            throw ApiException.badRequest("unknown_target", "target '" + target + "' is not in the current release metadata");
        }
        return entry;
    }

    /** Signs and stores a new assignment with the device's next counter. */
    private void issue(Handle h, String deviceId, String deploymentId, String target, TargetFile entry, String status) {
        Optional<Long> last = h.createQuery("SELECT counter FROM director_counters WHERE device_id = :d FOR UPDATE")
                .bind("d", deviceId).mapTo(Long.class).findOne();
        long counter = last.orElse(0L) + 1;
        if (last.isPresent()) {
            h.createUpdate("UPDATE director_counters SET counter = :c WHERE device_id = :d")
                    .bind("c", counter).bind("d", deviceId).execute();
        } else {
            h.createUpdate("INSERT INTO director_counters (device_id, counter) VALUES (:d, :c)")
                    .bind("d", deviceId).bind("c", counter).execute();
        }
        Instant now = clock.instant();
        Assignment a = new Assignment(deviceId, deploymentId, target, entry.length(), entry.hashes(), counter, now,
                now.plus(ASSIGNMENT_EXPIRY));
        byte[] envelope = CanonicalJson.encode(a.sign(director));
        h.createUpdate("""
                        INSERT INTO device_assignments (device_id, deployment_id, target_path, counter, status, body,
                                                        body_hash, expires_at, updated_at)
                        VALUES (:d, :dep, :t, :c, :s, :b, :bh, :e, :now)""")
                .bind("d", deviceId).bind("dep", deploymentId).bind("t", target).bind("c", counter).bind("s", status)
                .bind("b", new String(envelope, StandardCharsets.UTF_8)).bind("bh", Digests.sha256Hex(envelope))
                .bind("e", a.expires().toEpochMilli()).bind("now", now.toEpochMilli()).execute();
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
            h.createUpdate("DELETE FROM device_assignments WHERE device_id = :d").bind("d", deviceId).execute();
            issue(h, deviceId, r.deploymentId(), r.target(), currentEntry(h, r.target()), r.status());
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
                        rs.getString("device_id"), rs.getString("group_name"),
                        Instant.ofEpochMilli(rs.getLong("created_at")).toString(), counts))
                .findOne();
    }
}
