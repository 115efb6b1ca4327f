package dev.flotilla.server.store;

import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one after-commit mechanism of the services: an action of one transaction (publish an event on the
 * server's event stream, drop a device from this server's idle check-in cache) that runs once the transaction
 * committed, on the committing thread before the service returns, in the order the actions were registered. A
 * transaction that rolls back runs none; a nested transaction on the same handle commits with the outermost one,
 * and so do its actions. An operator write that must be seen by every server settles after its last commit
 * instead ({@link Consistency#settled}).
 *
 * <p>A failing action is logged and not thrown: the caller's transaction committed, and an exception would make
 * its caller report a failure for a write that happened (and invite a retry that repeats it). What an action
 * does must therefore be something the server can do without (metrics, a live page, a cache that other means
 * also keep true); a rule that must hold belongs in the transaction itself. Actions run while the transaction's
 * connection is still held, so they must be quick.
 */
public final class AfterCommit {
    private static final Logger LOG = LoggerFactory.getLogger(AfterCommit.class);

    private AfterCommit() {
    }

    /**
     * Registers {@code action} to run once {@code h}'s transaction committed (see the class comment).
     *
     * @throws IllegalStateException when {@code h} is not in a transaction (nothing would ever run it)
     */
    public static void run(Handle h, Runnable action) {
        if (!h.isInTransaction()) {
            throw new IllegalStateException("after-commit actions need a transaction");
        }
        h.afterCommit(() -> runLogged(action));
    }

    private static void runLogged(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("an action after a commit failed; the commit stands", e);
        }
    }
}
