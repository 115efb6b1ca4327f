package dev.flotilla.agent.runtime;

import dev.flotilla.agent.time.Sleeper;
import java.time.Duration;
import java.util.concurrent.Semaphore;

/**
 * The agent's sleep between check-ins, on its {@link Sleeper}, cut short by {@link #wake()} (an MQTT message)
 * or {@link #stop()}.
 */
public final class Wakeup {
    private final Semaphore signal = new Semaphore(0);
    private final Sleeper sleeper;
    private volatile boolean stopped;

    public Wakeup(Sleeper sleeper) {
        this.sleeper = sleeper;
    }

    /** Sleeps up to {@code d}; returns true when woken early. */
    public boolean await(Duration d) throws InterruptedException {
        boolean woken = sleeper.await(signal, d);
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
