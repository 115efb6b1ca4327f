package dev.flotilla.agent.install;

import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.update.HealthCheck;
import dev.flotilla.core.tuf.client.Updater;

/** The built-in health check: the new image logged in to the server and refreshed its TUF metadata. */
public record ServerReachedCheck(ServerClient client, Updater updater) implements HealthCheck {
    @Override
    public Result run() throws Exception {
        try {
            client.login();
        } catch (Exception e) {
            return new Result.Unhealthy("SERVER_UNREACHABLE", "could not log in to the server: " + e.getMessage());
        }
        try {
            updater.refresh();
        } catch (RuntimeException e) {
            return new Result.Unhealthy("METADATA_REFRESH_FAILED", "could not refresh TUF metadata: " + e.getMessage());
        }
        return new Result.Healthy();
    }

    @Override
    public String name() {
        return "server-reached";
    }

    @Override
    public String toString() {
        return "server-reached";
    }
}
