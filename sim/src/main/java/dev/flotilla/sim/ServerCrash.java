package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The {@code server-crash} scenario's fault: once, during the rollout, the server process is killed with SIGKILL,
 * stays down for {@code downtime} and is started again on the same data folder and port, while the boards keep
 * going (their requests fail, they queue their reports and retry). It strikes at the first look at the rollout
 * past its first stage with a board mid-update, or else at the first look at its third stage or later.
 */
final class ServerCrash implements RolloutWatch.Disruption {
    private final ServerProcess server;
    private final Duration downtime;
    private final Consumer<String> progress;
    private int crashes;
    private double downSeconds;

    ServerCrash(ServerProcess server, Duration downtime, Consumer<String> progress) {
        this.server = server;
        this.downtime = downtime;
        this.progress = progress;
    }

    @Override
    public void during(JsonNode rollout, Fleet fleet, Consumer<String> mark) throws IOException, InterruptedException {
        int stage = rollout.path("stage").asInt();
        if (crashes > 0 || !rollout.hasNonNull("stageStartedAt") || stage < 1 || stage < 2 && fleet.noneUpdating()) {
            return;
        }
        long start = System.nanoTime();
        long updating = fleet.boards().stream().filter(b -> b.record().updating()).count();
        mark.accept("server killed");
        progress.accept("killing the server (SIGKILL, process " + server.pid() + ") at stage " + (stage + 1)
                + " with " + updating + " board(s) mid-update");
        server.kill();
        crashes++;
        Thread.sleep(downtime);
        server.restart();
        downSeconds = (System.nanoTime() - start) / 1e9;
        mark.accept("server back");
        progress.accept(String.format("server back on %s (process %d) after %.1f s down", server.uri(), server.pid(),
                downSeconds));
    }

    /** Times the server was killed. */
    int crashes() {
        return crashes;
    }

    /** Wall seconds from the kill until the restarted server listened (0 before a crash). */
    double downSeconds() {
        return downSeconds;
    }
}
