package dev.flotilla.agent.time;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How the agent waits, and the monotonic time its waits are measured on: the pause between check-ins, the
 * backoff after errors, the pause before a download reconnects, the waits of the health checks and the
 * report queue's retry delay all go through it. {@link #SYSTEM} waits on the real clock; the simulator or a
 * test passes another (a scaled one, or one that records the waits). Every wait blocks only the calling
 * thread and holds no monitor, so agents on virtual threads unmount while they wait.
 */
public interface Sleeper {
    /** Monotonic nanoseconds on this sleeper's time scale (only differences mean anything). */
    long nanoTime();

    /** Waits {@code d}. */
    void sleep(Duration d) throws InterruptedException;

    /** Waits up to {@code d} for a permit of {@code signal}; true when one was taken before {@code d} passed. */
    boolean await(Semaphore signal, Duration d) throws InterruptedException;

    /** The real clock. */
    Sleeper SYSTEM = new Sleeper() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            Thread.sleep(d);
        }

        @Override
        public boolean await(Semaphore signal, Duration d) throws InterruptedException {
            return signal.tryAcquire(d.toNanos(), TimeUnit.NANOSECONDS);
        }
    };
}
