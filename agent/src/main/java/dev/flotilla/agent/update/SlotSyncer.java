package dev.flotilla.agent.update;

import dev.flotilla.agent.slots.StateLock;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadFactory;

/**
 * The checkpoints of a download, taken on their own thread (from the agent's thread factory) so the disk
 * flushes one segment while the download writes the next: the writer reports each segment end it reached ({@link #written}); this thread
 * fsyncs the slot and then persists that offset ({@link Checkpoint}), in order, one fsync and one
 * checkpoint per reported segment end. Since a segment end is reported only after its writes returned, the
 * fsync that follows covers it, so a persisted offset never runs ahead of the durable bytes.
 *
 * <p>The sequence of durable operations is the same as with checkpoints taken inline (the power-cut test
 * counts them); only the slot writes of later segments interleave with it. The writer may run at most
 * {@code maxPending} segment ends ahead of the last checkpoint, which bounds the un-flushed data.
 *
 * <p>An error of the sync thread (including the simulated power cut of the power-cut tests) stops it and is
 * rethrown to the writer by the next {@link #written} or by {@link #finish}; {@link #close} always waits
 * for the thread, so nothing writes after the download step returned.
 */
final class SlotSyncer implements AutoCloseable {

    /** Makes the slot's written bytes durable and then persists that they are ({@code offset}). */
    interface Checkpoint {
        void sync() throws IOException;

        void reached(long offset) throws IOException;
    }

    private final Checkpoint checkpoint;
    private final int maxPending;
    private final ArrayDeque<Long> pending = new ArrayDeque<>();
    private final StateLock state = new StateLock();
    private final Thread thread;
    private boolean ended;
    private boolean busy;
    private Throwable error;

    /** A syncer whose thread comes from {@code threads} (the agent's thread factory). */
    SlotSyncer(Checkpoint checkpoint, int maxPending, ThreadFactory threads) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be >= 1");
        }
        this.checkpoint = checkpoint;
        this.maxPending = maxPending;
        this.thread = threads.newThread(this::run);
        thread.setName("flotilla-slot-sync");
        thread.start();
    }

    /**
     * The writes up to {@code offset} returned: checkpoint there. Waits while {@code maxPending} segment
     * ends are not checkpointed yet.
     *
     * @throws IOException (or the unchecked error) of a failed sync or checkpoint
     */
    void written(long offset) throws IOException {
        state.lock();
        try {
            while (error == null && pending.size() >= maxPending) {
                await();
            }
            rethrow();
            pending.add(offset);
            state.signalChange();
        } finally {
            state.unlock();
        }
    }

    /** No more segment ends: waits until every reported one was checkpointed, or rethrows the error. */
    void finish() throws IOException {
        state.lock();
        try {
            ended = true;
            state.signalChange();
            while (error == null && (busy || !pending.isEmpty())) {
                await();
            }
            rethrow();
        } finally {
            state.unlock();
        }
    }

    /** Stops after the segment ends already reported and waits for the thread. */
    @Override
    public void close() {
        state.change(() -> ended = true);
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // an fsync in flight must finish before the step returns
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Takes the next reported segment end, or returns -1 when there is none and none will come. */
    private long next() throws InterruptedException {
        state.lock();
        try {
            while (pending.isEmpty() && !ended) {
                state.awaitChange();
            }
            if (pending.isEmpty()) {
                return -1;
            }
            busy = true;
            return pending.peek();
        } finally {
            state.unlock();
        }
    }

    private void run() {
        try {
            for (long offset = next(); offset >= 0; offset = next()) {
                checkpoint.sync(); // the blocking calls run outside the lock
                checkpoint.reached(offset);
                state.change(() -> {
                    pending.poll();
                    busy = false;
                });
            }
        } catch (Throwable t) {
            state.change(() -> {
                error = t;
                busy = false;
            });
        }
    }

    private void await() throws IOException {
        try {
            state.awaitChange();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void rethrow() throws IOException {
        switch (error) {
            case null -> { }
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IOException(error);
        }
    }
}
