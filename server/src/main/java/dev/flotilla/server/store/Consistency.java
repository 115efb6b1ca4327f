package dev.flotilla.server.store;

import java.util.function.Supplier;

/**
 * The two rules that make the server's answers consistent across its servers and its write-behind, kept by
 * the services (a route is only parse, service call, respond):
 * <ul>
 *   <li>{@link #settled}: an operator write that every server must show before it answers (decommissioning,
 *       tags and groups, deployments, rollouts and their actions, group windows) returns once every server answers
 *       check-ins from what it committed. The write may commit several transactions (a rollout's admission, then
 *       its signing in batches); it settles once, after the last.</li>
 *   <li>{@link #current}: a read of devices' {@code lastSeenAt} (device lists and pages, the fleet's counts) first
 *       writes this server's pending idle check-in times, so that it sees them.</li>
 * </ul>
 * Both are bound to the check-in service once it exists ({@link #bind}); until then no cache answers and nothing is
 * pending, and both do nothing beyond running the write or the read.
 */
public final class Consistency {
    /** What the rules wait for and write: the check-in service. */
    public interface CheckInState {
        /** Returns once every server answers check-ins from what is committed now. */
        void settle();

        /** Writes the pending {@code lastSeenAt} times of this server's idle check-ins. */
        int flushLastSeen();
    }

    private volatile CheckInState checkIns;

    /** Binds the check-in service (the server's composition root, once it created it). */
    public void bind(CheckInState checkIns) {
        this.checkIns = checkIns;
    }

    /**
     * Runs an operator write, then returns its value once every server answers check-ins from what it committed.
     * A write that throws is not waited for.
     */
    public <T> T settled(Supplier<T> write) {
        T value = write.get();
        CheckInState c = checkIns;
        if (c != null) {
            c.settle();
        }
        return value;
    }

    /** Runs a read of devices' {@code lastSeenAt} after writing this server's pending ones. */
    public <T> T current(Supplier<T> read) {
        CheckInState c = checkIns;
        if (c != null) {
            c.flushLastSeen();
        }
        return read.get();
    }
}
