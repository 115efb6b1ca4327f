package dev.flotilla.agent.update;

import java.util.List;

/**
 * Observes the agent without parsing its log: state transitions, download progress, verification results,
 * dropped reports and assignments not started. Every method does nothing by default, so a listener overrides only what it needs.
 * Called on the agent's thread, after the fact (a transition is called after it was persisted); a listener
 * must return quickly and must not throw (an exception it throws is swallowed so it cannot stop an update).
 */
public interface AgentListener {
    /** Listens to nothing. */
    AgentListener NONE = new AgentListener() {
    };

    /** What was verified. */
    enum Verified {
        /** The assignment: director signature and TUF target metadata (length, hashes, custom fields). */
        ASSIGNMENT,
        /** The image written into the slot, read back and hashed against the signed target. */
        IMAGE
    }

    /**
     * The update machine entered {@code to} from {@code from}.
     *
     * @param reason why, as reported to the server
     * @param detail a human-readable detail, may be empty
     */
    default void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
    }

    /** {@code done} of {@code total} image bytes are in the slot (after every chunk written). */
    default void downloadProgress(Assignment assignment, long done, long total) {
    }

    /**
     * A verification ended.
     *
     * @param assignmentId the assignment's id, or empty when a refused assignment has none
     * @param passed whether it passed
     * @param detail what was checked or why it failed
     */
    default void verification(Verified what, String assignmentId, boolean passed, String detail) {
    }

    /**
     * The report queue dropped {@code event} because the server rejected it for good.
     *
     * @param rejection the server's answer
     * @param droppedSoFar how many reports this device dropped in all (including this one)
     */
    default void reportDropped(Event event, Reporter.Delivery.Rejected rejection, long droppedSoFar) {
    }

    /**
     * The machine did not start an assignment.
     *
     * @param assignmentId the assignment's id, or empty when the check-in answer was not looked at (reports
     *        still queued)
     * @param why the reason, one line
     */
    default void notStarted(String assignmentId, String why) {
    }

    /** One listener that calls each of {@code listeners} in order; a listener that throws is skipped. */
    static AgentListener all(List<? extends AgentListener> listeners) {
        List<AgentListener> list = List.copyOf(listeners);
        return new AgentListener() {
            @Override
            public void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
                each(l -> l.transition(from, to, reason, detail));
            }

            @Override
            public void downloadProgress(Assignment assignment, long done, long total) {
                each(l -> l.downloadProgress(assignment, done, total));
            }

            @Override
            public void verification(Verified what, String assignmentId, boolean passed, String detail) {
                each(l -> l.verification(what, assignmentId, passed, detail));
            }

            @Override
            public void reportDropped(Event event, Reporter.Delivery.Rejected rejection, long droppedSoFar) {
                each(l -> l.reportDropped(event, rejection, droppedSoFar));
            }

            @Override
            public void notStarted(String assignmentId, String why) {
                each(l -> l.notStarted(assignmentId, why));
            }

            private void each(java.util.function.Consumer<AgentListener> call) {
                for (AgentListener l : list) {
                    try {
                        call.accept(l);
                    } catch (RuntimeException ignored) {
                        // observability must never stop an update
                    }
                }
            }
        };
    }
}
