package dev.flotilla.agent.slots;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock of a state that a download shares with a thread beside it, and the one condition every change of
 * that state signals: a monitor that does not pin a virtual thread to its carrier while it waits (JDK 21).
 */
public final class StateLock {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    public void lock() {
        lock.lock();
    }

    public void unlock() {
        lock.unlock();
    }

    /** Waits for the next change (the caller holds the lock; it is released while waiting). */
    public void awaitChange() throws InterruptedException {
        changed.await();
    }

    /** Wakes every waiter (the caller holds the lock). */
    public void signalChange() {
        changed.signalAll();
    }

    /** Changes the state under the lock and wakes every waiter. */
    public void change(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
