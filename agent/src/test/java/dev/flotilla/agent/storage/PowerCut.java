package dev.flotilla.agent.storage;

/**
 * Thrown by {@link CrashableDurable} instead of running an operation: the power went off just before it.
 * An {@link Error} so that the agent's ordinary {@code catch (Exception)} handlers cannot swallow it.
 */
public final class PowerCut extends Error {
    private final long operation;

    public PowerCut(long operation, String what) {
        super("power cut before operation " + operation + " (" + what + ")");
        this.operation = operation;
    }

    /** The 1-based number of the operation that did not run. */
    public long operation() {
        return operation;
    }
}
