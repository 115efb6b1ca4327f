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

        record Unhealthy(String why) implements Result {
        }
    }

    /** Runs the check; an exception counts as unhealthy. */
    Result run() throws Exception;
}
