package dev.flotilla.agent.runtime;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** The agent's sleep between check-ins, cut short by {@link #wake()} (an MQTT message) or {@link #stop()}. */
public final class Wakeup {
    private final Semaphore signal = new Semaphore(0);
    private volatile boolean stopped;

    /** Sleeps up to {@code d}; returns true when woken early. */
    public boolean await(Duration d) throws InterruptedException {
        boolean woken = signal.tryAcquire(d.toMillis(), TimeUnit.MILLISECONDS);
        signal.drainPermits();
        return woken;
    }

    public void wake() {
        signal.release();
    }

    public void stop() {
        stopped = true;
        signal.release();
    }

    public boolean stopped() {
        return stopped;
    }
}
