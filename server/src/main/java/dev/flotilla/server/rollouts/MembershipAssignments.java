package dev.flotilla.server.rollouts;

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
 * never miss a device that joins while a deployment is being made: a device that joined before the creating
 * transaction is one of its recorded members (signed after that transaction, {@code Deployments.create}); one
 * that joins after it sees the deployment here. This is how a deployment ({@code POST /api/v1/deployments}, a
 * rollout of kind {@code deployment}) follows its group or tag; a rollout with a dynamic selection admits the
 * devices that match later on the evaluator's tick ({@link Evaluator}), each in its own stage. The lock covers
 * deciding and recording, not the signing of a deployment's members. A device assigned here is recorded as
 * admitted in the deployment's stage 0 ({@code rollout_devices}).
 *
 * <p>Precedence: the candidate is the most recent active deployment (kind {@code deployment}, by creation order,
 * {@code deployments.seq}) whose group is the device's group or whose tag is one of the device's tags. The
 * device gets it unless
 * <ul>
 *   <li>it is not active (decommissioned);</li>
 *   <li>its current assignment already belongs to that deployment, in any state: a device that committed,
 *       failed or rolled back a deployment is not assigned it again, one that left and re-joined keeps what
 *       it has, and a member the deployment has recorded but not yet signed is signed once;</li>
 *   <li>its current assignment belongs to a more recent deployment (the most recent deployment wins; a
 *       device has at most one assignment, so it never has two live ones);</li>
 *   <li>its latest manifest says it already runs the target and it holds no live assignment (none, or a
 *       final one): there is nothing to do and nothing to replace;</li>
 *   <li>the target is no longer in the current release metadata.</li>
 * </ul>
 * Otherwise its current assignment (older, live or final) is replaced, exactly as creating a deployment
 * replaces it; in particular a device that runs the target but holds an older live assignment (of another
 * target, say) gets the candidate, as it would had it been a member when the deployment was created. The
 * check against the current assignment and the write are made under the device's lock ({@link Director}),
 * so a concurrent writer (an operator's deployment to the device, another server) is never overwritten by an
 * older deployment. Leaving a group or losing a tag changes nothing: an assignment already issued stays.
 * Each automatic assignment is audited as {@code deployment.assign} with actor kind {@code system} and the
 * deployment's id; {@code before} is the replaced assignment's deployment and state (null when there was
 * none), {@code after} the new one's deployment, target, forced flag and counter.
 */
final class MembershipAssignments implements MembershipListener {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Director director;
    private final AuditLog audit;
    private final Consumer<String> onAssigned;
    private final java.time.Clock clock;

    MembershipAssignments(Director director, AuditLog audit, Consumer<String> onAssigned, java.time.Clock clock) {
        this.director = director;
        this.clock = clock;
        this.audit = audit;
        this.onAssigned = onAssigned;
    }

    @Override
    public void lock(Handle h) {
        h.createQuery("SELECT id FROM deployment_membership_lock WHERE id = 1 FOR UPDATE").mapTo(Integer.class).one();
    }

    /**
     * Assigns the device what a deployment of its group or tags gives it (above); when that gives it nothing,
     * re-signs its current assignment if the install window it carries is no longer the one it should (it moved
     * into a group with another window, {@link Director#refresh}).
     *
     * @return true when the device's assignment was written (a new one, or the current one re-signed)
     */
    @Override
    public boolean changed(Handle h, String deviceId) {
        return join(h, deviceId) || director.refresh(h, deviceId);
    }

    private boolean join(Handle h, String deviceId) {
        Optional<String> status = h.createQuery("SELECT status FROM devices WHERE id = :d").bind("d", deviceId)
                .mapTo(String.class).findOne();
        if (status.isEmpty() || !status.get().equals("active")) {
            return false;
        }
        record Row(String id, long seq, String target, boolean forced) {
        }
        Optional<Row> candidate = h.createQuery("""
                        SELECT id, seq, target_path, forced FROM deployments
                        WHERE state = 'active' AND kind = 'deployment'
                          AND (group_name = (SELECT device_group FROM devices WHERE id = :d)
                               OR tag_name IN (SELECT tag FROM device_tags WHERE device_id = :d))
                        ORDER BY seq DESC LIMIT 1""")
                .bind("d", deviceId)
                .map((rs, ctx) -> new Row(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getBoolean(4)))
                .findOne();
        if (candidate.isEmpty()) {
            return false;
        }
        Row c = candidate.get();
        Optional<TargetFile> entry = director.entry(h, c.target());
        if (entry.isEmpty()) {
            return false; // the target left the current release metadata
        }
        boolean runs = runs(h, deviceId, c.target());
        // under the device's lock: not when it holds this or a more recent deployment (Director), nor when it
        // already runs the target and holds nothing live to replace
        Optional<Director.Issued> issued = director.assign(h, deviceId,
                new Director.Candidate(c.id(), c.seq(), c.target(), entry.get(), c.forced()),
                held -> !runs || held.map(Director.Held::live).orElse(false));
        if (issued.isEmpty()) {
            return false;
        }
        h.createUpdate("DELETE FROM rollout_devices WHERE rollout_id = :r AND device_id = :d")
                .bind("r", c.id()).bind("d", deviceId).execute();
        Selection.of(deviceId, null, null).members(h, null).forEach(m ->
                RolloutDevices.admit(h, c.id(), m, 0, clock.millis()));
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("deploymentId", c.id());
        after.put("targetPath", c.target());
        after.put("forced", c.forced());
        after.put("counter", issued.get().counter());
        Map<String, Object> before = issued.get().replaced().map(x -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("deploymentId", x.deploymentId());
            m.put("status", x.status());
            return m;
        }).orElse(null);
        audit.record(h, new Actor("system", c.id(), "deployment " + c.id()), "deployment.assign", "device",
                deviceId, before, after);
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
