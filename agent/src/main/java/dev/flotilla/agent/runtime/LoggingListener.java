package dev.flotilla.agent.runtime;

import dev.flotilla.agent.net.EventReporter;
import dev.flotilla.agent.update.AgentListener;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.agent.update.Event;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.Reporter;
import dev.flotilla.agent.update.UpdateState;
import java.util.function.Consumer;

/**
 * The agent's default listener: writes one log line per transition, per 10% of download progress, per
 * verification result, per assignment not started, and a {@code WARN:} line per dropped report (event id,
 * server event type, status, the server's error code and message, and the running count).
 */
public final class LoggingListener implements AgentListener {
    private final Consumer<String> log;
    private String downloading;
    private long nextTenth;

    public LoggingListener(Consumer<String> log) {
        this.log = log;
    }

    @Override
    public void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
        log.accept("state " + from.label() + " -> " + to.label() + " (" + reason + (detail.isEmpty() ? "" : ": " + detail)
                + ")");
    }

    @Override
    public void downloadProgress(Assignment a, long done, long total) {
        if (total <= 0) {
            return;
        }
        long tenth = done * 10 / total;
        if (!a.id().equals(downloading)) { // a new download, or one resumed after a restart: from the next tenth
            downloading = a.id();
            nextTenth = tenth == 0 || done == total ? Math.max(1, tenth) : tenth + 1;
        }
        if (tenth >= nextTenth) {
            log.accept("download " + a.version() + ": " + tenth * 10 + "% (" + done + " of " + total + " bytes)");
            nextTenth = tenth + 1;
        }
    }

    @Override
    public void verification(Verified what, String assignmentId, boolean passed, String detail) {
        log.accept((passed ? "verified " : "WARN: verification failed: ") + what.name().toLowerCase()
                + (assignmentId.isEmpty() ? "" : " of " + assignmentId) + ": " + detail);
    }

    @Override
    public void notStarted(String assignmentId, String why) {
        log.accept((assignmentId.isEmpty() ? "not taking a new assignment: " : "not starting assignment "
                + assignmentId + ": ") + why);
    }

    @Override
    public void reportDropped(Event e, Reporter.Delivery.Rejected r, long droppedSoFar) {
        log.accept("WARN: report " + e.eventId() + " (type " + EventReporter.type(e) + ", state " + e.state()
                + ") dropped: the server rejected it for good with " + r.status() + " "
                + (r.code().isEmpty() ? "(no code)" : r.code()) + (r.message().isEmpty() ? "" : ": " + r.message())
                + "; " + droppedSoFar + " report(s) dropped in all");
    }
}
