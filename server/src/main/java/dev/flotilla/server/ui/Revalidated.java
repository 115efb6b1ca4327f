package dev.flotilla.server.ui;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One value that many requests ask for and that is costly to take (the dashboard's fleet summary, a scan of
 * every device), served stale while it is taken again in the background. The first caller, and the first after
 * {@link #forget}, takes the value while the others that come meanwhile wait for it; from then on every caller
 * gets the last value at once, and a caller that finds it older than {@code fresh} (counted from the end of its
 * take) starts one new take in
 * {@code background} (never more than one at a time). A background take that fails is logged and changes
 * nothing: callers keep getting the last value, whose {@link Taken#at} says how old it is, and the next caller
 * after that starts another take. After {@link #close} no take is started in the background; one under way is
 * not waited for.
 *
 * @param <V> the value
 */
final class Revalidated<V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Revalidated.class);

    /** A value and when its take started (by the clock given): what it counts is as of then. */
    record Taken<V>(V value, Instant at) {
    }

    /**
     * The current value, when its take ended (nanoTime: its age counts from there, so that a take as long as
     * {@code fresh} is not followed at once by the next), and the {@link #forget} count it belongs to.
     */
    private record State<V>(Taken<V> taken, long nanos, long generation) {
    }

    private final String name;
    private final Duration fresh;
    private final Supplier<V> taker;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Executor background;
    private final ReentrantLock waitedTake = new ReentrantLock();
    private final Object install = new Object();
    private final AtomicReference<State<V>> state = new AtomicReference<>();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private long generation; // guarded by install
    private volatile boolean closed;

    /**
     * @param name     what the value is, for the log
     * @param fresh    the age from which a caller starts a new take
     * @param clock    the time a value is shown as taken at
     * @param nanoTime the time ages are measured with (as {@link System#nanoTime()} counts)
     */
    Revalidated(String name, Duration fresh, Supplier<V> taker, Clock clock, LongSupplier nanoTime,
                Executor background) {
        this.name = name;
        this.fresh = fresh;
        this.taker = taker;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.background = background;
    }

    /** Runs each take in the background on a new virtual thread. */
    static Executor virtualThreads(String name) {
        return task -> Thread.ofVirtual().name(name).start(task);
    }

    /**
     * The last value, at once; taken first (waiting) when there is none. What a waited take throws reaches the
     * caller, and no value is kept.
     */
    Taken<V> get() {
        State<V> s = state.get();
        if (s == null) {
            return takeWaiting();
        }
        if (nanoTime.getAsLong() - s.nanos() >= fresh.toNanos()) {
            refreshInBackground();
        }
        return s.taken();
    }

    /** Drops the value (an operator just changed what it counts): the next {@link #get} waits for a new one. */
    void forget() {
        synchronized (install) {
            generation++;
            state.set(null);
        }
    }

    /** Starts no more takes in the background. */
    @Override
    public void close() {
        closed = true;
    }

    private Taken<V> takeWaiting() {
        waitedTake.lock();
        try {
            State<V> s = state.get();
            if (s != null) {
                return s.taken(); // taken by whoever held the lock before
            }
            long gen;
            synchronized (install) {
                gen = generation;
            }
            return take(gen).taken();
        } finally {
            waitedTake.unlock();
        }
    }

    private void refreshInBackground() {
        if (closed || !refreshing.compareAndSet(false, true)) {
            return;
        }
        long gen;
        synchronized (install) {
            gen = generation;
        }
        try {
            background.execute(() -> {
                try {
                    take(gen);
                } catch (RuntimeException e) {
                    if (!closed) {
                        State<V> last = state.get();
                        LOG.warn("Could not take the {} again; still showing the one taken at {}", name,
                                last == null ? "(none)" : last.taken().at(), e);
                    }
                } finally {
                    refreshing.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            refreshing.set(false);
        }
    }

    /** Takes the value and keeps it unless {@link #forget} was called since {@code gen} was read. */
    private State<V> take(long gen) {
        Instant at = clock.instant();
        V value = taker.get();
        State<V> s = new State<>(new Taken<>(value, at), nanoTime.getAsLong(), gen);
        synchronized (install) {
            if (generation == gen) {
                state.set(s);
            }
        }
        return s;
    }
}
