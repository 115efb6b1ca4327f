package dev.flotilla.server.rollouts;

import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.TargetFile;
import org.jdbi.v3.core.Handle;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Admits devices into a rollout's stages: computes the stage's cohort ({@link Cohorts}) over the current
 * selection and records each device not admitted before ({@code rollout_devices}, state {@code assigned}) with a
 * pending row ({@code deployment_pending}); the assignments are signed afterwards, in batches, outside the
 * caller's transaction ({@link Assignments#finishPending}). A device is admitted once per rollout; a device of a
 * dynamic selection that matches later is admitted when its position falls in the current stage, never before.
 */
final class Admission {
    private final Director director;

    Admission(Director director) {
        this.director = director;
    }

    /**
     * The devices the rollout selects now: active, of hardware the release runs on (narrowed to the selection's
     * {@code hardwareId}), matching every criterion; for a static selection once started, the devices frozen at
     * the start (still active), whatever they match now.
     * Empty when the target has left the release metadata.
     */
    List<Selection.Member> members(Handle h, RolloutRow r) {
        Optional<TargetFile> entry = director.entry(h, r.target());
        if (entry.isEmpty()) {
            return List.of();
        }
        List<String> hardware = FirmwareInfo.fromTarget(entry.get()).hardwareIds().stream()
                .filter(hw -> r.selection().hardwareId() == null || hw.equals(r.selection().hardwareId())).toList();
        if (hardware.isEmpty()) {
            return List.of();
        }
        if (r.selection().dynamic() || r.stageStartedAt() == null) {
            return r.selection().members(h, hardware);
        }
        // static: the devices frozen at the start, whatever they match now (still active, of the hardware)
        List<String> frozen = h.createQuery("SELECT device_id FROM rollout_members WHERE rollout_id = :r")
                .bind("r", r.id()).mapTo(String.class).list();
        return frozen.isEmpty() ? List.of() : new Selection(null, List.of(), List.of(), frozen, null,
                java.util.Map.of(), Selection.STATIC).members(h, hardware);
    }

    /** Starts stage {@code k}: records it and admits its cohort (a static selection is frozen at stage 0). */
    int startStage(Handle h, RolloutRow r, int k, long now) {
        if (k == 0 && !r.selection().dynamic()) {
            h.createUpdate("DELETE FROM rollout_members WHERE rollout_id = :r").bind("r", r.id()).execute();
            for (Selection.Member m : members(h, r)) {
                h.createUpdate("INSERT INTO rollout_members (rollout_id, device_id) VALUES (:r, :d)")
                        .bind("r", r.id()).bind("d", m.id()).execute();
            }
        }
        h.createUpdate("UPDATE deployments SET stage = :k, stage_started_at = :now WHERE id = :id")
                .bind("k", k).bind("now", now).bind("id", r.id()).execute();
        return admitCohort(h, RolloutRow.find(h, r.id()).orElseThrow(), k, now);
    }

    /** Admits the devices of stage {@code k}'s cohort not admitted yet; returns how many. */
    int admitCohort(Handle h, RolloutRow r, int k, long now) {
        List<Selection.Member> members = members(h, r);
        Set<String> cohort = new java.util.HashSet<>(Cohorts.cohort(r.id(),
                members.stream().map(Selection.Member::id).toList(), r.plan(), k));
        Set<String> admitted = RolloutDevices.admitted(h, r.id());
        List<Selection.Member> fresh = members.stream()
                .filter(m -> cohort.contains(m.id()) && !admitted.contains(m.id())).toList();
        admit(h, r.id(), fresh, k, now);
        return fresh.size();
    }

    /** Records the devices as admitted in {@code stage} and as pending signature. */
    static void admit(Handle h, String rolloutId, List<Selection.Member> devices, int stage, long now) {
        for (Selection.Member m : devices) {
            RolloutDevices.admit(h, rolloutId, m, stage, now);
            h.createUpdate("INSERT INTO deployment_pending (deployment_id, device_id) VALUES (:r, :d)")
                    .bind("r", rolloutId).bind("d", m.id()).execute();
        }
    }
}
