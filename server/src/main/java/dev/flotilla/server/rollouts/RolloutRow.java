package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jdbi.v3.core.Handle;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * A rollout as stored: one row of the table {@code deployments} (a deployment is a rollout of kind
 * {@code deployment}, one 100% stage without gates, whose selection is its device, group or tag).
 *
 * @param stageStartedAt when the current stage started (epoch ms), null before the first
 * @param approvedStage  the highest stage index an operator approved
 */
record RolloutRow(String id, String kind, long seq, String target, boolean forced, String state, Selection selection,
                  Plan plan, Policies policies, int stage, Long stageStartedAt, int approvedStage, Long startAt,
                  String haltJson, long createdAt, String createdBy) {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CREATED = "created";
    static final String ACTIVE = "active";
    static final String PAUSED = "paused";
    static final String HALTED = "halted";
    static final String ABORTED = "aborted";
    /** Every state a rollout (or a deployment: cancelled, closed) can be in. */
    static final List<String> STATES = List.of(CREATED, ACTIVE, PAUSED, HALTED, ABORTED, "cancelled", "closed");
    /** States in which a rollout still holds its devices (a new rollout for them conflicts). */
    static final List<String> HOLDING = List.of(CREATED, ACTIVE, PAUSED, HALTED);

    /** The soak time of the current stage (of the last, once past it), in seconds. */
    long soakSeconds() {
        return plan.soakSeconds(Math.min(stage, plan.stages().size() - 1));
    }

    static Optional<RolloutRow> find(Handle h, String id) {
        return h.createQuery("SELECT * FROM deployments WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> read(rs)).findOne();
    }

    /** Rollouts (of both kinds) in one of {@code states}, oldest first. */
    static List<RolloutRow> inState(Handle h, List<String> states) {
        return h.createQuery("SELECT * FROM deployments WHERE state IN (<states>) ORDER BY seq")
                .bindList("states", states).map((rs, ctx) -> read(rs)).list();
    }

    /** The newest {@code most} rollouts and deployments of the release {@code target}, newest first. */
    static List<RolloutRow> ofTarget(Handle h, String target, int most) {
        return h.createQuery("SELECT * FROM deployments WHERE target_path = :t ORDER BY seq DESC LIMIT :most")
                .bind("t", target).bind("most", most).map((rs, ctx) -> read(rs)).list();
    }

    /** Every rollout and deployment, newest first. */
    static List<RolloutRow> newestFirst(Handle h) {
        return h.createQuery("SELECT * FROM deployments ORDER BY seq DESC").map((rs, ctx) -> read(rs)).list();
    }

    /** Rollouts of kind {@code rollout} (not deployments) in {@code state}, oldest first. */
    static List<RolloutRow> rolloutsInState(Handle h, String state) {
        return h.createQuery("SELECT * FROM deployments WHERE state = :s AND kind = 'rollout' ORDER BY seq")
                .bind("s", state).map((rs, ctx) -> read(rs)).list();
    }

    /** Locks this row to the end of the transaction (no concurrent change of the same rollout). */
    static RolloutRow lockFor(Handle h, String id) {
        return h.createQuery("SELECT * FROM deployments WHERE id = :id FOR UPDATE").bind("id", id)
                .map((rs, ctx) -> read(rs)).findOne()
                .orElseThrow(() -> new dev.flotilla.server.errors.DomainError.NotFound("rollout"));
    }

    private static RolloutRow read(ResultSet rs) throws SQLException {
        boolean deployment = "deployment".equals(rs.getString("kind"));
        Selection selection = deployment || rs.getString("selection_json") == null
                ? Selection.of(rs.getString("device_id"), rs.getString("group_name"), rs.getString("tag_name"))
                : Selection.parse(Selection.read(rs.getString("selection_json")));
        Plan plan = rs.getString("plan_json") == null ? Plan.ONE_STAGE : Plan.parse(Selection.read(rs.getString("plan_json")));
        Policies policies = rs.getString("policies_json") == null
                ? Policies.of(rs.getBoolean("forced"))
                : Policies.parse(Selection.read(rs.getString("policies_json")));
        return new RolloutRow(rs.getString("id"), rs.getString("kind"), rs.getLong("seq"), rs.getString("target_path"),
                rs.getBoolean("forced"), rs.getString("state"), selection, plan, policies, rs.getInt("stage"),
                (Long) rs.getObject("stage_started_at", Long.class), rs.getInt("approved_stage"),
                (Long) rs.getObject("start_at", Long.class), rs.getString("halt_json"), rs.getLong("created_at"),
                rs.getString("created_by"));
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean deployment() {
        return "deployment".equals(kind);
    }

    static void setState(Handle h, String id, String state) {
        h.createUpdate("UPDATE deployments SET state = :s WHERE id = :id").bind("s", state).bind("id", id).execute();
    }
}
