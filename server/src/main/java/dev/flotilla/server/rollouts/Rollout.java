package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A rollout as the API shows it.
 *
 * @param kind             {@code rollout}, or {@code deployment} for one made with {@code POST /api/v1/deployments}
 * @param state            {@code created}, {@code active}, {@code paused}, {@code halted}, {@code aborted}; a
 *                         deployment may also be {@code cancelled} or {@code closed}
 * @param stage            the current stage (0-based)
 * @param awaitingApproval the stage that waits for an operator's approval before it can start, or null
 * @param selected         how many devices the selection holds now
 * @param stages           each stage's size for the current selection and its funnel
 * @param gates            the current stage's gates against what was observed
 * @param halt             why it halted: gate, threshold, observed, sample, stage, at, withdrawn, revert
 * @param failures         failed, rolled back and timed out devices by reason, hardware id and previous version
 * @param rampRatePerMinute for a plan with a ramp: the rate it admits devices at now (devices per minute)
 * @param acted            in the answer to an operator action only: the action and the numbers it was audited with
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Rollout(String id, String kind, String targetPath, String state, Selection selection, Plan plan,
                      Policies policies, int stage, String stageStartedAt, Integer awaitingApproval, int selected,
                      List<StageView> stages, List<GateCheck> gates, JsonNode halt, Failures failures,
                      String createdAt, String createdBy, Double rampRatePerMinute, Acted acted) {

    /** This view with the operator action that led to it. */
    Rollout withActed(Acted a) {
        return new Rollout(id, kind, targetPath, state, selection, plan, policies, stage, stageStartedAt,
                awaitingApproval, selected, stages, gates, halt, failures, createdAt, createdBy, rampRatePerMinute, a);
    }

    /**
     * An operator action and the numbers it acted on, as audited: {@code before} (state, stage) and {@code after}
     * (state, stage, counts by state, and what the action counted: admitted, acknowledged, withdrawn, retried,
     * exhausted, approvedStage, the gates at an advance).
     */
    public record Acted(String action, Map<String, Object> before, Map<String, Object> after) {
    }

    /**
     * One stage: its size for the current selection, {@code done}, {@code current} or {@code waiting}, whether
     * it needs an operator's approval before it starts ({@code approval}) and, if so, whether it was given
     * ({@code approved}: by approve or advance; null when none is needed), and the funnel of the devices
     * admitted in it (pending, downloading, downloaded, installing, trial, committed, failed, rolled_back,
     * timed_out, withdrawn, superseded, skipped, reverted).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StageView(int index, Double percent, Long count, int size, String status, boolean approval,
                            Boolean approved, Map<String, Integer> funnel) {
    }

    /** One device's row in a rollout: its stage, its state there (a funnel column), why, and when it changed. */
    public record DeviceRow(String deviceId, int stage, String state, String reason, String updatedAt) {
    }

    /** A page of a rollout's devices by id; {@code nextAfter} is the id to continue after, null on the last. */
    public record DevicePage(List<DeviceRow> items, String nextAfter) {
    }

    public record Failures(Map<String, Integer> byReason, Map<String, Integer> byHardware,
                           Map<String, Integer> byPreviousVersion) {
    }

    /** What a plan would do for the current selection: how many devices it holds and each stage's size. */
    public record Preview(String target, int selected, List<Integer> stageSizes, Map<String, Integer> overlap) {
    }

    /**
     * The rollout's devices by state at one time (epoch ms): {@code pending} (admitted, not started),
     * {@code inProgress} (downloading to trial), {@code committed}, {@code failed} (failed, rolled back, timed
     * out) and {@code stopped} (withdrawn, superseded, skipped, reverted).
     */
    public record Sample(long at, int pending, int inProgress, int committed, int failed, int stopped) {
        boolean sameCounts(Sample o) {
            return pending == o.pending && inProgress == o.inProgress && committed == o.committed
                    && failed == o.failed && stopped == o.stopped;
        }
    }

    /** A rollout in a listing, from its row alone (no device is read). */
    public record Summary(String id, String kind, String targetPath, String state, int stage, int stages,
                          String createdAt, String createdBy) {
    }
}
