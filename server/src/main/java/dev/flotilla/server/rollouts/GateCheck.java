package dev.flotilla.server.rollouts;

import dev.flotilla.server.events.FleetListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One gate of a stage against what the rollout's devices reported. The sample is the devices with a verdict
 * ({@code committed}, {@code failed}, {@code rolled_back}, {@code timed_out}) not acknowledged by an operator;
 * {@code failureRate} counts failed, rolled back and timed out devices, {@code rollbackRate} rolled back ones,
 * {@code timeoutRate} timed out ones, each over the sample. A gate is checked only once the sample has
 * {@code minDevices} devices; unchecked, it holds.
 */
public record GateCheck(String gate, double max, long minDevices, double observed, long sample, boolean checked,
                        boolean holds) {

    /** Checks each gate of {@code gates} that is set, in the order failureRate, rollbackRate, timeoutRate. */
    static List<GateCheck> of(Plan.Gates gates, Map<String, Integer> counts) {
        int committed = counts.getOrDefault("committed", 0);
        int failed = counts.getOrDefault("failed", 0);
        int rolledBack = counts.getOrDefault("rolled_back", 0);
        int timedOut = counts.getOrDefault("timed_out", 0);
        long sample = committed + failed + rolledBack + timedOut;
        List<GateCheck> out = new ArrayList<>();
        add(out, "failureRate", gates.failureRate(), failed + rolledBack + timedOut, sample);
        add(out, "rollbackRate", gates.rollbackRate(), rolledBack, sample);
        add(out, "timeoutRate", gates.timeoutRate(), timedOut, sample);
        return out;
    }

    /** This check as the {@link FleetListener} tells it, for stage {@code stage} of rollout {@code rolloutId}. */
    FleetListener.GateEvaluation evaluation(String rolloutId, int stage) {
        return new FleetListener.GateEvaluation(rolloutId, stage, gate, max, minDevices, observed, sample, checked,
                holds);
    }

    private static void add(List<GateCheck> out, String name, Plan.Gate gate, long bad, long sample) {
        if (gate == null) {
            return;
        }
        double observed = sample == 0 ? 0 : (double) bad / sample;
        boolean checked = sample >= gate.minDevices();
        out.add(new GateCheck(name, gate.max(), gate.minDevices(), observed, sample, checked,
                !checked || observed <= gate.max()));
    }
}
