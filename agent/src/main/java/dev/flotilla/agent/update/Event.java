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
 */
public record Event(String eventId, long seq, String state, ReasonCode reason, String detail, String assignmentId,
        String version, long done, long total) {
}
