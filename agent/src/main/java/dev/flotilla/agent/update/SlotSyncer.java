package dev.flotilla.agent.update;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The checkpoints of a download, taken on their own thread so the disk flushes one segment while the
 * download writes the next: the writer reports each segment end it reached ({@link #written}); this thread
 * fsyncs the slot and then persists that offset ({@link Checkpoint}), in order, one fsync and one
 * checkpoint per reported segment end. Since a segment end is reported only after its writes returned, the
 * fsync that follows covers it, so a persisted offset never runs ahead of the durable bytes.
 *
 * <p>The sequence of durable operations is the same as with checkpoints taken inline (the power-cut test
 * counts them); only the slot writes of later segments interleave with it. The writer may run at most
 * {@code maxPending} segment ends ahead of the last checkpoint, which bounds the un-flushed data.
 *
 * <p>An error of the sync thread (including a {@link dev.flotilla.agent.storage.PowerCut}) stops it and is
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
    private final Thread thread;
    private boolean ended;
    private boolean busy;
    private Throwable error;

    SlotSyncer(Checkpoint checkpoint, int maxPending) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be >= 1");
        }
        this.checkpoint = checkpoint;
        this.maxPending = maxPending;
        this.thread = new Thread(this::run, "flotilla-slot-sync");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The writes up to {@code offset} returned: checkpoint there. Waits while {@code maxPending} segment
     * ends are not checkpointed yet.
     *
     * @throws IOException (or the unchecked error) of a failed sync or checkpoint
     */
    synchronized void written(long offset) throws IOException {
        while (error == null && pending.size() >= maxPending) {
            await();
        }
        rethrow();
        pending.add(offset);
        notifyAll();
    }

    /** No more segment ends: waits until every reported one was checkpointed, or rethrows the error. */
    synchronized void finish() throws IOException {
        ended = true;
        notifyAll();
        while (error == null && (busy || !pending.isEmpty())) {
            await();
        }
        rethrow();
    }

    /** Stops after the segment ends already reported and waits for the thread. */
    @Override
    public void close() {
        synchronized (this) {
            ended = true;
            notifyAll();
        }
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

    private void run() {
        try {
            while (true) {
                long offset;
                synchronized (this) {
                    while (pending.isEmpty() && !ended) {
                        wait();
                    }
                    if (pending.isEmpty()) {
                        return;
                    }
                    offset = pending.peek();
                    busy = true;
                }
                checkpoint.sync();
                checkpoint.reached(offset);
                synchronized (this) {
                    pending.poll();
                    busy = false;
                    notifyAll();
                }
            }
        } catch (Throwable t) {
            synchronized (this) {
                error = t;
                busy = false;
                notifyAll();
            }
        }
    }

    private void await() throws IOException {
        try {
            wait();
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
