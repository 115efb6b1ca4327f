package dev.flotilla.server.rollouts;

/**
 * What the rollouts tell the rest of the server, after the transaction that did it committed (metrics use it).
 * Every method has a do-nothing default; a listener that throws does not undo or stop anything.
 */
public interface RolloutListener {
    /** A failing gate ({@code failureRate}, {@code rollbackRate}, {@code timeoutRate}) halted the rollout. */
    default void halted(String rolloutId, String gate) {
    }
}
