package dev.flotilla.agent.update;

/**
 * One reported transition.
 *
 * @param eventId stable id ("ev-" + sequence number); the server de-duplicates on it
 * @param seq the transition's sequence number on this device
 * @param state the state entered, e.g. {@code "DOWNLOADING"}
 * @param reason why
 * @param detail a human-readable detail, may be empty
 * @param assignmentId the assignment, or null when idle
 * @param version the version being installed, or null
 * @param done bytes done (download progress), 0 when not applicable
 * @param total bytes in all, 0 when not applicable
 * @param occurredAt when the device recorded it (ISO-8601, UTC, from the device's clock), stamped by the
 *     {@link ReportQueue} when it stores the event; null until then (and in events queued by older agents)
 * @param checks the health checks that decided the transition (a trial's rollback or commit, a failure after
 *     a commit), null for other events
 */
public record Event(String eventId, long seq, String state, ReasonCode reason, String detail, String assignmentId,
        String version, long done, long total, String occurredAt, java.util.List<HealthReport.Check> checks) {

    /** An event without health checks. */
    public Event(String eventId, long seq, String state, ReasonCode reason, String detail, String assignmentId,
            String version, long done, long total, String occurredAt) {
        this(eventId, seq, state, reason, detail, assignmentId, version, done, total, occurredAt, null);
    }

    /** An event not yet stamped with its time (the queue stamps it). */
    public Event(String eventId, long seq, String state, ReasonCode reason, String detail, String assignmentId,
            String version, long done, long total) {
        this(eventId, seq, state, reason, detail, assignmentId, version, done, total, null);
    }

    /** This event recorded at {@code time}. */
    public Event at(java.time.Instant time) {
        return new Event(eventId, seq, state, reason, detail, assignmentId, version, done, total, time.toString(),
                checks);
    }
}
