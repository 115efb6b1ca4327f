package dev.flotilla.server.rollouts;

import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rollouts in numbers, read from the database (the same on every server): how many rollouts and deployments
 * are in each state, and for each rollout in progress (kind {@code rollout}, state active, paused or halted)
 * its current stage and its devices per funnel column. Deployments are counted but not listed one by one:
 * there may be one per device.
 *
 * @param byState   per kind ({@code rollout}, {@code deployment}), per state ({@link RolloutRow#STATES}, all
 *                  present), how many
 * @param inProgress the rollouts in progress, oldest first
 */
public record RolloutStats(Map<String, Map<String, Integer>> byState, List<InProgress> inProgress) {
    /** Kinds of rollout, for {@link #byState}. */
    public static final List<String> KINDS = List.of("rollout", "deployment");
    /** The funnel's columns, in order. */
    public static final List<String> FUNNEL = RolloutDevices.FUNNEL;
    /** The gates a halt can name. */
    public static final List<String> GATES = List.of("failureRate", "rollbackRate", "timeoutRate");

    /** One rollout in progress: its id, state, current stage (0-based) and devices per funnel column (all present). */
    public record InProgress(String id, String state, int stage, Map<String, Integer> funnel) {
    }

    static RolloutStats read(Handle h) {
        Map<String, Map<String, Integer>> byState = new LinkedHashMap<>();
        for (String kind : KINDS) {
            Map<String, Integer> m = new LinkedHashMap<>();
            RolloutRow.STATES.forEach(s -> m.put(s, 0));
            byState.put(kind, m);
        }
        h.createQuery("SELECT kind, state, COUNT(*) FROM deployments GROUP BY kind, state").map((rs, ctx) -> {
            Map<String, Integer> m = byState.get(rs.getString(1));
            if (m != null && m.containsKey(rs.getString(2))) {
                m.put(rs.getString(2), rs.getInt(3));
            }
            return 0;
        }).list();
        List<InProgress> out = new ArrayList<>();
        for (RolloutRow r : RolloutRow.inState(h, List.of(RolloutRow.ACTIVE, RolloutRow.PAUSED, RolloutRow.HALTED))) {
            if (r.deployment()) {
                continue;
            }
            Map<String, Integer> funnel = RolloutDevices.emptyFunnel();
            RolloutDevices.funnel(h, r.id()).values().forEach(f -> f.forEach((k, v) -> funnel.merge(k, v, Integer::sum)));
            out.add(new InProgress(r.id(), r.state(), r.stage(), funnel));
        }
        return new RolloutStats(byState, out);
    }
}
