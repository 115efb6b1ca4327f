package dev.flotilla.server.deployments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.devices.MembershipListener;
import org.jdbi.v3.core.Handle;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Assigns a device that joins the group or tag of an active deployment, on the write that makes it a
 * member (pre-registration with a group or tags, an operator setting its group or tags), never on check-in.
 * All state is in the database, and every such write and every creation or cancellation of a group or tag
 * deployment first locks the row of {@code deployment_membership_lock}, so servers sharing one database
 * never miss a device that joins while a deployment is being made.
 *
 * <p>Precedence: the candidate is the most recent active deployment (by creation time, then id) whose group
 * is the device's group or whose tag is one of the device's tags. The device gets it unless
 * <ul>
 *   <li>it is not active (decommissioned);</li>
 *   <li>its current assignment already belongs to that deployment, in any state: a device that committed,
 *       failed or rolled back a deployment is not assigned it again, and one that left and re-joined keeps
 *       what it has;</li>
 *   <li>its current assignment belongs to a more recent deployment (the most recent deployment wins; a
 *       device has at most one assignment, so it never has two live ones);</li>
 *   <li>its latest manifest says it already runs the target, or the target is no longer in the current
 *       release metadata.</li>
 * </ul>
 * Otherwise its current assignment (older, live or final) is replaced, exactly as creating a deployment
 * replaces it. Leaving a group or losing a tag changes nothing: an assignment already issued stays.
 * Each automatic assignment is audited as {@code deployment.assign} with actor kind {@code system} and the
 * deployment's id.
 */
final class MembershipAssignments implements MembershipListener {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Director director;
    private final AuditLog audit;
    private final Consumer<String> onAssigned;

    MembershipAssignments(Director director, AuditLog audit, Consumer<String> onAssigned) {
        this.director = director;
        this.audit = audit;
        this.onAssigned = onAssigned;
    }

    @Override
    public void lock(Handle h) {
        h.createQuery("SELECT id FROM deployment_membership_lock WHERE id = 1 FOR UPDATE").mapTo(Integer.class).one();
    }

    @Override
    public boolean changed(Handle h, String deviceId) {
        record Candidate(String id, String target, boolean forced, long createdAt) {
        }
        record Held(String deploymentId, long createdAt) {
        }
        Optional<String> status = h.createQuery("SELECT status FROM devices WHERE id = :d").bind("d", deviceId)
                .mapTo(String.class).findOne();
        if (status.isEmpty() || !status.get().equals("active")) {
            return false;
        }
        Optional<Candidate> candidate = h.createQuery("""
                        SELECT id, target_path, forced, created_at FROM deployments
                        WHERE state = 'active'
                          AND (group_name = (SELECT device_group FROM devices WHERE id = :d)
                               OR tag_name IN (SELECT tag FROM device_tags WHERE device_id = :d))
                        ORDER BY created_at DESC, id DESC LIMIT 1""")
                .bind("d", deviceId)
                .map((rs, ctx) -> new Candidate(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getLong(4)))
                .findOne();
        if (candidate.isEmpty()) {
            return false;
        }
        Candidate c = candidate.get();
        Optional<Held> held = h.createQuery("""
                        SELECT a.deployment_id, d.created_at FROM device_assignments a
                        JOIN deployments d ON d.id = a.deployment_id WHERE a.device_id = :d""")
                .bind("d", deviceId).map((rs, ctx) -> new Held(rs.getString(1), rs.getLong(2))).findOne();
        if (held.isPresent() && (held.get().deploymentId().equals(c.id()) || held.get().createdAt() > c.createdAt()
                || (held.get().createdAt() == c.createdAt() && held.get().deploymentId().compareTo(c.id()) > 0))) {
            return false;
        }
        Optional<TargetFile> entry = director.entry(h, c.target());
        if (entry.isEmpty() || runs(h, deviceId, c.target())) {
            return false; // the target left the current release metadata, or the device already runs it
        }
        h.createUpdate("DELETE FROM device_assignments WHERE device_id = :d").bind("d", deviceId).execute();
        long counter = director.issue(h, deviceId, c.id(), c.target(), entry.get(), c.forced(), "assigned");
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("deploymentId", c.id());
        after.put("targetPath", c.target());
        after.put("forced", c.forced());
        after.put("counter", counter);
        audit.record(h, new Actor("system", c.id(), "deployment " + c.id()), "deployment.assign", "device",
                deviceId, held.map(x -> Map.of("deploymentId", x.deploymentId())).orElse(null), after);
        return true;
    }

    @Override
    public void committed(String deviceId) {
        onAssigned.accept(deviceId);
    }

    /** Whether the device's latest verified manifest names {@code target} as installed. */
    private static boolean runs(Handle h, String deviceId, String target) {
        return h.createQuery("SELECT manifest_json FROM device_manifests WHERE device_id = :d").bind("d", deviceId)
                .mapTo(String.class).findOne().map(json -> {
                    try {
                        return target.equals(JSON.readTree(json).path("installedTarget").asText(null));
                    } catch (JsonProcessingException e) {
                        return false;
                    }
                }).orElse(false);
    }
}
