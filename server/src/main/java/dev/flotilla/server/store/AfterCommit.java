package dev.flotilla.server.store;

import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * The one place where the services' writes keep the rules that hold after a commit, so that a route is only
 * parse, service call, respond.
 * <ul>
 *   <li>{@link #run}: an action of one transaction (publish an event, drop a device from this server's idle
 *       check-in cache) that runs once the transaction committed, on the committing thread before the service
 *       returns, in the order the actions were registered; a transaction that rolls back runs none. A nested
 *       transaction on the same handle commits with the outermost one, and so do its actions.</li>
 *   <li>{@link #settled}: an operator write that every server must show before it answers (decommissioning,
 *       tags and groups, deployments, rollouts and their actions, group windows): runs the write, which may
 *       commit several transactions (a rollout's admission, then its signing in batches), then waits once until
 *       every server answers check-ins from what is committed (the check-in cache's settle, bound by
 *       {@link #settleWith}).</li>
 * </ul>
 * A failing action is logged and not thrown: the caller's transaction committed, and an exception would make
 * its caller report a failure for a write that happened (and invite a retry that repeats it). What an action
 * does must therefore be something the server can do without (metrics, a cache that other means also keep
 * true); a rule that must hold belongs in the transaction itself.
 */
public final class AfterCommit {
    private static final Logger LOG = LoggerFactory.getLogger(AfterCommit.class);
    private volatile Runnable settle = () -> {
    };

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

    /**
     * Binds what {@link #settled} waits for: returns once every server answers check-ins from what is committed
     * (the server binds its check-in cache's settle once the cache exists; before, no cache answers and
     * nothing needs waiting for).
     */
    public void settleWith(Runnable settle) {
        this.settle = settle;
    }

    /**
     * Runs an operator write, then returns its value once every server answers check-ins from what it
     * committed. A write that throws is not waited for.
     */
    public <T> T settled(Supplier<T> write) {
        T value = write.get();
        settle.run();
        return value;
    }
}
