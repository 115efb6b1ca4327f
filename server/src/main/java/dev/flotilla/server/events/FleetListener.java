package dev.flotilla.server.events;

import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.devices.DeviceEvent;

/**
 * What the server's services did, told after the transaction that did it committed ({@link FleetEvents}): the
 * typed event stream that metrics, the dashboard and the check-in cache consume instead of polling or being
 * called by hand. Every method does nothing by default. A method runs on the thread that committed, before the
 * service call returns, so it must be quick; one that throws is logged and stops nothing (the write stands and
 * the other listeners are still told). Events come from the server that made the change: with several servers
 * on one database each tells only its own.
 */
public interface FleetListener {
    /** A device event was stored (newly: a resent event id is not told again). */
    default void deviceEventStored(DeviceEvent event) {
    }

    /**
     * A rollout (kind {@code rollout}) changed state: {@code from} null when it was created; {@code actor} the
     * operator, or the system actor of the rollout evaluator.
     */
    default void rolloutTransition(Transition transition) {
    }

    /** A stage of a rollout started (stage 0 when it starts). */
    default void stageStarted(StageStart stage) {
    }

    /** A gate of an active rollout's current stage was checked by the evaluator (every gate, every evaluation). */
    default void gateEvaluated(GateEvaluation gate) {
    }

    /** A failing gate halted a rollout (told after its {@link #rolloutTransition} to {@code halted}). */
    default void halted(GateEvaluation failing) {
    }

    /** A rollout's change of state. */
    record Transition(String rolloutId, String from, String to, Actor actor) {
    }

    /**
     * A stage that started: {@code admitted} devices were admitted in the transaction that started it (a dynamic
     * selection admits its first stage's devices later, once its positions are filled).
     */
    record StageStart(String rolloutId, int stage, int admitted) {
    }

    /**
     * One gate of stage {@code stage} checked against the rollout's devices: {@code threshold} the gate's
     * {@code max}, {@code observed} the rate seen over {@code sample} devices with a verdict; {@code checked}
     * once the sample reached the gate's {@code minDevices}; {@code holds} unless checked and above the threshold.
     */
    record GateEvaluation(String rolloutId, int stage, String gate, double threshold, long minDevices,
                          double observed, long sample, boolean checked, boolean holds) {
    }
}
