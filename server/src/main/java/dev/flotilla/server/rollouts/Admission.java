package dev.flotilla.server.rollouts;

import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import org.jdbi.v3.core.Handle;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Admits devices into a rollout's stages: computes the stage's cohort ({@link Cohorts}) over the current
 * selection (for a dynamic selection from its kept positions, {@link Positions}) and records each device not
 * admitted before ({@code rollout_devices}, state {@code assigned}) with a pending row ({@code deployment_pending}); the assignments are signed afterwards, in batches, outside the
 * caller's transaction ({@link Assignments#finishPending}). A device is admitted once per rollout; a device of a
 * dynamic selection that matches later is admitted when its position falls in the current stage, never before.
 * A plan with a ramp ({@link Ramp}) admits its devices in rollout order at the ramp's rate instead.
 */
final class Admission {
    private final Director director;
    private final FleetEvents events;

    Admission(Director director, FleetEvents events) {
        this.director = director;
        this.events = events;
    }

    /**
     * The devices the rollout selects now: active, of hardware the release runs on (narrowed to the selection's
     * {@code hardwareId}), matching every criterion; for a static selection once started, the devices frozen at
     * the start (still active), whatever they match now.
     * Empty when the target has left the release metadata.
     */
    List<Selection.Member> members(Handle h, RolloutRow r) {
        List<String> hardware = hardware(h, r);
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

    /**
     * How many devices the rollout selects: {@link #members}' count, or for a dynamic selection whose positions
     * are kept ({@link Positions}), their count (as of the evaluator's latest evaluation, a few seconds ago).
     */
    int selectedCount(Handle h, RolloutRow r) {
        if (r.selection().dynamic() && r.stageStartedAt() != null && Positions.filled(h, r.id())) {
            return hardware(h, r).isEmpty() ? 0 : Positions.count(h, r.id());
        }
        return members(h, r).size();
    }

    /**
     * The hardware ids the rollout's devices may have: the release's, narrowed to the selection's
     * {@code hardwareId}; empty when the target has left the release metadata.
     */
    List<String> hardware(Handle h, RolloutRow r) {
        Optional<TargetFile> entry = director.entry(h, r.target());
        if (entry.isEmpty()) {
            return List.of();
        }
        return FirmwareInfo.fromTarget(entry.get()).hardwareIds().stream()
                .filter(hw -> r.selection().hardwareId() == null || hw.equals(r.selection().hardwareId())).toList();
    }

    /**
     * Starts stage {@code k}: records it and admits its cohort (a static selection is frozen at stage 0; a dynamic
     * selection's stage 0 forgets its positions, and its cohort is admitted once they are filled, {@link
     * PositionFill}). Told to the {@link FleetEvents} after the commit.
     */
    int startStage(Handle h, RolloutRow r, int k, long now) {
        if (k == 0 && !r.selection().dynamic()) {
            h.createUpdate("DELETE FROM rollout_members WHERE rollout_id = :r").bind("r", r.id()).execute();
            for (Selection.Member m : members(h, r)) {
                h.createUpdate("INSERT INTO rollout_members (rollout_id, device_id) VALUES (:r, :d)")
                        .bind("r", r.id()).bind("d", m.id()).execute();
            }
        }
        if (k == 0 && r.selection().dynamic()) {
            Positions.clear(h, r.id()); // filled from the whole selection after this transaction (PositionFill)
        }
        h.createUpdate("UPDATE deployments SET stage = :k, stage_started_at = :now WHERE id = :id")
                .bind("k", k).bind("now", now).bind("id", r.id()).execute();
        int admitted = admitCohort(h, RolloutRow.find(h, r.id()).orElseThrow(), k, now);
        events.after(h).stageStarted(new FleetListener.StageStart(r.id(), k, admitted));
        return admitted;
    }

    /**
     * Admits the devices of stage {@code k}'s cohort not admitted yet; returns how many. A plan with a ramp
     * admits as many as its rate allows since the last admission ({@link #admitRamp}). A dynamic selection's
     * cohort comes from its kept positions ({@link Positions}; none is admitted until they are filled).
     */
    int admitCohort(Handle h, RolloutRow r, int k, long now) {
        if (r.plan().ramp() != null) {
            return admitRamp(h, r, now);
        }
        if (r.selection().dynamic()) {
            List<String> hardware = positions(h, r);
            if (hardware.isEmpty()) {
                return 0;
            }
            Positions.looked(h, r.id());
            return admitAmong(h, r, hardware, Positions.fresh(h, r.id(), r.plan(), k), k, now);
        }
        List<Selection.Member> members = members(h, r);
        Set<String> cohort = new java.util.HashSet<>(Cohorts.cohort(r.id(),
                members.stream().map(Selection.Member::id).toList(), r.plan(), k));
        Set<String> admitted = RolloutDevices.admitted(h, r.id());
        List<Selection.Member> fresh = members.stream()
                .filter(m -> cohort.contains(m.id()) && !admitted.contains(m.id())).toList();
        admit(h, r.id(), fresh, k, now);
        return fresh.size();
    }

    /**
     * The rollout's hardware ids when a dynamic selection's positions are kept; empty while they are not (they are
     * filled outside this transaction, {@link PositionFill}, which admits the current stage's cohort once they
     * are complete), or when the target left the release metadata (the rows are then forgotten).
     */
    private List<String> positions(Handle h, RolloutRow r) {
        List<String> hardware = hardware(h, r);
        if (hardware.isEmpty()) {
            Positions.clear(h, r.id());
        }
        return hardware.isEmpty() || !Positions.filled(h, r.id()) ? List.of() : hardware;
    }

    /** Admits the given devices that the selection still holds (re-read, with their manifests) in stage k. */
    private static int admitAmong(Handle h, RolloutRow r, List<String> hardware, List<String> ids, int k, long now) {
        if (ids.isEmpty()) {
            return 0;
        }
        List<Selection.Member> fresh = r.selection().members(h, hardware, ids);
        admit(h, r.id(), fresh, k, now);
        return fresh.size();
    }

    /**
     * The ramp's admission: {@code floor(rate * minutes since the last admission)} more devices in rollout order
     * (the first one at once), the rate being the ramp's for the devices admitted and committed so far
     * ({@link Ramp#rate}). Nothing is read when no device is due; a dynamic selection's next devices come from its
     * kept positions, a static one's from ranking its frozen members.
     */
    private int admitRamp(Handle h, RolloutRow r, long now) {
        RolloutDevices.Progress c = RolloutDevices.progress(h, r.id());
        double rate = r.plan().ramp().rate(c.admitted(), c.committed());
        long due = c.lastAdmittedAt() == null ? 1 : (long) Math.floor(rate * (now - c.lastAdmittedAt()) / 60_000.0);
        if (due < 1) {
            return 0;
        }
        if (r.selection().dynamic()) {
            List<String> hardware = positions(h, r);
            return hardware.isEmpty() ? 0 : admitAmong(h, r, hardware, Positions.next(h, r.id(), due), 0, now);
        }
        List<Selection.Member> members = members(h, r);
        java.util.Map<String, Selection.Member> byId = new java.util.HashMap<>();
        members.forEach(m -> byId.put(m.id(), m));
        Set<String> admitted = RolloutDevices.admitted(h, r.id());
        List<Selection.Member> fresh = Cohorts.ranked(r.id(), byId.keySet()).stream()
                .filter(id -> !admitted.contains(id)).limit(due).map(byId::get).toList();
        admit(h, r.id(), fresh, 0, now);
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
