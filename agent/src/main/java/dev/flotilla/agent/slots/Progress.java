package dev.flotilla.agent.slots;

/** Progress of a slot write or read-back; called after every chunk. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} bytes (total is -1 when unknown). */
    void bytes(long done, long total);
}
