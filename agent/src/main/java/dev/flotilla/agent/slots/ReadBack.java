package dev.flotilla.agent.slots;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.ThreadFactory;

/**
 * The read-back of a slot, overlapped with its download: a background thread (from the agent's thread
 * factory) reads the slot file from byte
 * 0 and hashes it, but only up to the offset the writer has already fsynced ({@link #synced}), so every
 * byte it hashes was read back from the slot after the fsync that covers it, exactly as the sequential
 * {@link Slots#sha256} would. {@link #finish} waits for the rest and returns the SHA-256 of the first
 * {@code length} bytes. It holds no state on disk: after a restart the caller reads the whole slot back.
 */
public final class ReadBack implements AutoCloseable {
    private final Path file;
    private final String slot;
    private final int chunk;
    private final Thread thread;
    private final StateLock state = new StateLock();
    private long allowed;
    private long target = -1;
    private long done;
    private boolean cancelled;
    private String digest;
    private IOException error;

    ReadBack(String slot, Path file, int chunk, ThreadFactory threads) {
        this.slot = slot;
        this.file = file;
        this.chunk = chunk;
        this.thread = threads.newThread(this::run);
        thread.setName("flotilla-readback-" + slot);
        thread.start();
    }

    /** The writer fsynced the slot's first {@code offset} bytes: they may be read back now. */
    public void synced(long offset) {
        state.change(() -> allowed = Math.max(allowed, offset));
    }

    /**
     * Waits until the first {@code length} bytes (all fsynced: {@code length <=} the last {@link #synced}
     * offset) were read back and returns their SHA-256 (hex).
     *
     * @throws IOException when the slot holds fewer bytes or could not be read
     */
    public String finish(long length) throws IOException {
        state.lock();
        try {
            if (length > allowed) {
                throw new IllegalStateException("only " + allowed + " bytes were synced, not " + length);
            }
            target = length;
            state.signalChange();
            while (digest == null && error == null) {
                try {
                    state.awaitChange();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            if (error != null) {
                throw error;
            }
            return digest;
        } finally {
            state.unlock();
        }
    }

    private void run() {
        MessageDigest md = Digests.create("sha256");
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        FileChannel ch = null;
        try {
            for (long limit = nextLimit(md); limit >= 0; limit = nextLimit(md)) {
                if (ch == null && done < limit) {
                    ch = FileChannel.open(file, StandardOpenOption.READ);
                }
                if (!readUpTo(ch, limit, md, buf)) {
                    return;
                }
            }
        } catch (IOException e) {
            fail(e);
        } catch (InterruptedException e) {
            // cancelled
        } catch (RuntimeException | Error e) {
            // Anything else must still wake finish(), or the verification would wait forever.
            fail(new IOException("reading back slot " + slot + " failed: " + e, e));
            throw e;
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // read-only channel
                }
            }
        }
    }

    /**
     * Waits until there is more to read and returns the offset it may be read up to; -1 when cancelled or
     * when the target was reached (then the digest is set).
     */
    private long nextLimit(MessageDigest md) throws InterruptedException {
        state.lock();
        try {
            while (!cancelled && done >= allowed && !(target >= 0 && done >= target)) {
                state.awaitChange();
            }
            if (cancelled) {
                return -1;
            }
            if (target >= 0 && done >= target) {
                digest = Hex.encode(md.digest());
                state.signalChange();
                return -1;
            }
            return target >= 0 ? Math.min(allowed, target) : allowed;
        } finally {
            state.unlock();
        }
    }

    /** Reads and hashes the slot up to {@code limit} (outside the lock); false when cancelled meanwhile. */
    private boolean readUpTo(FileChannel ch, long limit, MessageDigest md, ByteBuffer buf) throws IOException {
        while (done < limit) {
            buf.clear().limit((int) Math.min(chunk, limit - done));
            int n = ch.read(buf, done);
            if (n < 0) {
                throw new IOException("slot " + slot + " holds only " + done + " of " + limit + " bytes");
            }
            md.update(buf.flip());
            state.lock();
            try {
                done += n;
                if (cancelled) {
                    return false;
                }
            } finally {
                state.unlock();
            }
        }
        return true;
    }

    private void fail(IOException e) {
        state.change(() -> error = e);
    }

    /** Stops the read-back (when the download did not complete in this run). */
    @Override
    public void close() {
        state.change(() -> cancelled = true);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
