package dev.flotilla.agent.update;

/**
 * One health check run in the trial boot. The built-in check ("reached the server and refreshed metadata")
 * is supplied by the network side through this interface; {@link CommandCheck} runs configured commands.
 */
@FunctionalInterface
public interface HealthCheck {

    /** The outcome of a check. */
    sealed interface Result {
        record Healthy() implements Result {
        }

        /**
         * @param reasonCode why, as a stable code reported to the server (e.g. {@code EXIT_NONZERO})
         * @param why        a human-readable detail
         */
        record Unhealthy(String reasonCode, String why) implements Result {
            /** Unhealthy with the generic reason code {@code FAILED}. */
            public Unhealthy(String why) {
                this("FAILED", why);
            }
        }
    }

    /** Runs the check; an exception counts as unhealthy ({@code CHECK_ERROR}). */
    Result run() throws Exception;

    /** The name the check is reported under; null lets {@link HealthChecks} name it by its position. */
    default String name() {
        return null;
    }
}
