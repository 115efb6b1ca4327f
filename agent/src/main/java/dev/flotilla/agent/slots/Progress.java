package dev.flotilla.agent.slots;

/** Progress of a slot write or read-back; called after every chunk. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} bytes (total is -1 when unknown). */
    void bytes(long done, long total);

    /**
     * The whole percent that {@code done} is of {@code total} (rounded down; 0 when total is not positive): the
     * one computation behind every {@code percent} an agent reports.
     */
    static long percent(long done, long total) {
        return total <= 0 ? 0 : done * 100 / total;
    }
}
