package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the API's view of a rollout ({@link Rollout}) from its row and its devices' rows. */
final class Views {
    private Views() {
    }

    /** Whether stage {@code k}'s approval was given: stage 0's by starting the rollout, later ones by approve or advance. */
    private static boolean approved(RolloutRow r, int k) {
        return k == 0 ? r.stageStartedAt() != null : r.approvedStage() >= k;
    }

    /** A ramp's current rate (devices per minute), null for a plan of stages. */
    private static Double rate(Handle h, RolloutRow r) {
        if (r.plan().ramp() == null) {
            return null;
        }
        RolloutDevices.Progress p = RolloutDevices.progress(h, r.id());
        return r.plan().ramp().rate(p.admitted(), p.committed());
    }

    static Rollout of(Handle h, RolloutRow r, Admission admission) {
        return of(h, r, admission.selectedCount(h, r));
    }

    /** The view with {@code selected} as the selection's size (counted by the caller, perhaps a while ago). */
    static Rollout of(Handle h, RolloutRow r, int selected) {
        int[] sizes = Cohorts.sizes(r.plan(), selected);
        Map<Integer, Map<String, Integer>> funnel = RolloutDevices.funnel(h, r.id());
        List<Rollout.StageView> stages = new ArrayList<>();
        for (int k = 0; k < sizes.length; k++) {
            String status = r.stageStartedAt() == null || k > r.stage() ? "waiting" : k < r.stage() ? "done" : "current";
            Plan.Stage s = r.plan().stage(k);
            boolean approval = r.plan().approval(k);
            stages.add(new Rollout.StageView(k, s.percent(), s.count(), sizes[k], status, approval,
                    approval ? approved(r, k) : null, funnel.getOrDefault(k, RolloutDevices.emptyFunnel())));
        }
        int next = r.stage() + 1;
        Integer awaiting = r.stageStartedAt() != null && next < sizes.length && r.plan().approval(next)
                && r.approvedStage() < next ? next : null;
        JsonNode halt = r.haltJson() == null ? null : Selection.read(r.haltJson());
        Rollout.Failures failures = new Rollout.Failures(RolloutDevices.failuresBy(h, r.id(), "reason"),
                RolloutDevices.failuresBy(h, r.id(), "hardware_id"),
                RolloutDevices.failuresBy(h, r.id(), "previous_version"));
        return new Rollout(r.id(), r.kind(), r.target(), r.state(), r.selection(), r.plan(), r.policies(), r.stage(),
                r.stageStartedAt() == null ? null : Instant.ofEpochMilli(r.stageStartedAt()).toString(), awaiting,
                selected, stages, GateCheck.of(r.plan().gates(r.stage()), RolloutDevices.counts(h, r.id())), halt,
                failures, Instant.ofEpochMilli(r.createdAt()).toString(), r.createdBy(), rate(h, r), null);
    }
}
