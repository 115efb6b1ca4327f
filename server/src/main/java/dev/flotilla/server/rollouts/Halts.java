package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Stopping a rollout: withdrawing the assignments its devices have not started on, and, when a gate fails,
 * halting it with the numbers that tripped the gate and (policy {@code onHalt: revert}) sending the devices that
 * committed the release back to the release they ran before. Runs in the caller's transaction.
 */
final class Halts {
    private final Director director;
    private final AuditLog audit;
    private final FleetEvents events;

    Halts(Director director, AuditLog audit, FleetEvents events) {
        this.director = director;
        this.audit = audit;
        this.events = events;
    }

    /**
     * Withdraws the rollout from every device that has not started installing it (its row {@code assigned},
     * {@code downloading} or {@code downloaded}: the device may hold the download, waiting for its own policy,
     * an install window, or download-only; the agent checks in before it arms the trial): the row becomes
     * {@code withdrawn}, an admission not yet signed is dropped, and a signed assignment is re-signed with the
     * withdrawn flag ({@link Director#withdraw}), which the device that holds it drops. Rows are written before
     * assignments, the order a device event's transaction takes too.
     *
     * @param reason {@code halted} or {@code aborted}, recorded on the rows
     * @return how many devices were withdrawn
     */
    int withdraw(Handle h, RolloutRow r, String reason, long now) {
        List<String> devices = h.createQuery("SELECT device_id FROM rollout_devices WHERE rollout_id = :r AND state IN "
                        + RolloutDevices.NOT_INSTALLING_SQL + " ORDER BY device_id")
                .bind("r", r.id()).mapTo(String.class).list();
        h.createUpdate("UPDATE rollout_devices SET state = 'withdrawn', reason = :reason, updated_at = :now"
                        + " WHERE rollout_id = :r AND state IN " + RolloutDevices.NOT_INSTALLING_SQL)
                .bind("reason", reason).bind("now", now).bind("r", r.id()).execute();
        h.createUpdate("DELETE FROM deployment_pending WHERE deployment_id = :r").bind("r", r.id()).execute();
        devices.forEach(d -> director.withdraw(h, d, r.id(), r.policies()));
        return devices.size();
    }

    /**
     * Halts the rollout on a failing gate: records the gate, threshold, observed value and sample; audited; told
     * to the {@link FleetEvents} after the commit (the transition to {@code halted}, then the halt).
     */
    void halt(Handle h, RolloutRow r, GateCheck failing, long now) {
        ObjectNode halt = RolloutRow.JSON.createObjectNode();
        halt.put("gate", failing.gate());
        halt.put("threshold", failing.max());
        halt.put("observed", failing.observed());
        halt.put("sample", failing.sample());
        halt.put("minDevices", failing.minDevices());
        halt.put("stage", r.stage());
        halt.put("at", Instant.ofEpochMilli(now).toString());
        halt.put("withdrawn", withdraw(h, r, "halted", now));
        if (r.policies().revert()) {
            revert(h, r, halt.putObject("revert"), now);
        }
        h.createUpdate("UPDATE deployments SET state = 'halted', halt_json = :j WHERE id = :id")
                .bind("j", RolloutRow.json(halt)).bind("id", r.id()).execute();
        Actor evaluator = new Actor("system", r.id(), "rollout evaluator");
        audit.record(h, evaluator, "rollout.halt", "rollout", r.id(), null, halt);
        Samples.record(h, r.id(), now, true);
        FleetListener later = events.after(h);
        later.rolloutTransition(new FleetListener.Transition(r.id(), r.state(), RolloutRow.HALTED, evaluator));
        later.halted(failing.evaluation(r.id(), r.stage()));
    }

    /**
     * Assigns each device that committed the release its previous release (the one its manifest named when the
     * rollout admitted it), with a new counter, unless none is known (it sent no manifest naming one before the
     * admission, or the one it named is this rollout's release), that release is not in the signed targets
     * (deleted, or never published), the device's anti-rollback counter (its manifest's {@code securityVersion})
     * is above the previous release's {@code securityVersion}, or a more recent rollout holds the device: those
     * are listed in {@code cannotRevert} with the reason.
     */
    private void revert(Handle h, RolloutRow r, ObjectNode out, long now) {
        record Row(String deviceId, String previous) {
        }
        List<Row> rows = h.createQuery("""
                        SELECT device_id, previous_target FROM rollout_devices
                        WHERE rollout_id = :r AND committed_at IS NOT NULL AND state IN ('committed', 'failed', 'rolled_back')
                        ORDER BY device_id""")
                .bind("r", r.id()).map((rs, ctx) -> new Row(rs.getString(1), rs.getString(2))).list();
        int reverted = 0;
        ArrayNode cannot = out.putArray("cannotRevert");
        for (Row row : rows) {
            String reason = revertOne(h, r, row.deviceId(), row.previous());
            if (reason == null) {
                reverted++;
                RolloutDevices.setState(h, r.id(), row.deviceId(), "reverted", "reverted to " + row.previous(), now);
            } else {
                cannot.addObject().put("deviceId", row.deviceId()).put("reason", reason);
            }
        }
        out.put("reverted", reverted);
    }

    /**
     * Sends back a device that committed the release after its rollout halted with {@code onHalt: revert} (it
     * was on trial at the halt, which lets a trial finish): as {@link #revert} does at the halt, counted in the
     * halt's {@code revert} numbers and audited as {@code rollout.revert}. Runs in the transaction of the
     * device's report; does nothing when its row is not {@code committed}.
     */
    void revertLate(Handle h, RolloutRow r, String deviceId, long now) {
        record Row(String previous) {
        }
        List<Row> row = h.createQuery("SELECT previous_target FROM rollout_devices WHERE rollout_id = :r"
                        + " AND device_id = :d AND state = 'committed'")
                .bind("r", r.id()).bind("d", deviceId).map((rs, ctx) -> new Row(rs.getString(1))).list();
        if (row.isEmpty() || r.haltJson() == null) {
            return;
        }
        String previous = row.get(0).previous();
        String reason = revertOne(h, r, deviceId, previous);
        ObjectNode halt = (ObjectNode) Selection.read(r.haltJson());
        ObjectNode numbers = halt.has("revert") ? (ObjectNode) halt.get("revert") : halt.putObject("revert");
        if (reason == null) {
            RolloutDevices.setState(h, r.id(), deviceId, "reverted", "reverted to " + previous, now);
            numbers.put("reverted", numbers.path("reverted").asInt() + 1);
        } else {
            (numbers.has("cannotRevert") ? (ArrayNode) numbers.get("cannotRevert") : numbers.putArray("cannotRevert"))
                    .addObject().put("deviceId", deviceId).put("reason", reason);
        }
        h.createUpdate("UPDATE deployments SET halt_json = :j WHERE id = :id").bind("j", RolloutRow.json(halt))
                .bind("id", r.id()).execute();
        ObjectNode after = RolloutRow.JSON.createObjectNode().put("deviceId", deviceId).put("previous", previous)
                .put("reverted", reason == null);
        if (reason != null) {
            after.put("reason", reason);
        }
        audit.record(h, new Actor("system", r.id(), "rollout evaluator"), "rollout.revert", "rollout", r.id(), null,
                after);
    }

    /** Reverts one device; returns null when done, else why it cannot be. */
    private String revertOne(Handle h, RolloutRow r, String deviceId, String previous) {
        if (previous == null) {
            return "no previous release known (the device reported none before this rollout)";
        }
        if (previous.equals(r.target())) { // sending it "back" would assign the halted release again
            return "no previous release known (the device already reported running '" + previous
                    + "', this rollout's release, when the rollout admitted it)";
        }
        Optional<TargetFile> entry = director.entry(h, previous);
        if (entry.isEmpty()) {
            return "previous release '" + previous + "' is not in the signed targets (deleted, or never published)";
        }
        long needed = FirmwareInfo.fromTarget(entry.get()).securityVersion();
        Long counter = Selection.of(deviceId, null, null).members(h, null).stream().findFirst()
                .map(Selection.Member::securityVersion).orElse(null);
        if (counter != null && counter > needed) {
            return "anti-rollback: the device's securityVersion " + counter + " is above " + needed
                    + " of previous release '" + previous + "'";
        }
        Director.Candidate c = new Director.Candidate(r, previous, entry.get());
        return director.assign(h, deviceId, c, held -> true, true).isPresent() ? null
                : "a more recent rollout holds the device";
    }
}
