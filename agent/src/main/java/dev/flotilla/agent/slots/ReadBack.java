package dev.flotilla.agent.slots;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * The read-back of a slot, overlapped with its download: a background thread reads the slot file from byte
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
    private final Object lock = new Object();
    private long allowed;
    private long target = -1;
    private long done;
    private boolean cancelled;
    private String digest;
    private IOException error;

    ReadBack(String slot, Path file, int chunk) {
        this.slot = slot;
        this.file = file;
        this.chunk = chunk;
        this.thread = new Thread(this::run, "flotilla-readback-" + slot);
        thread.setDaemon(true);
        thread.start();
    }

    /** The writer fsynced the slot's first {@code offset} bytes: they may be read back now. */
    public void synced(long offset) {
        synchronized (lock) {
            if (offset > allowed) {
                allowed = offset;
                lock.notifyAll();
            }
        }
    }

    /**
     * Waits until the first {@code length} bytes (all fsynced: {@code length <=} the last {@link #synced}
     * offset) were read back and returns their SHA-256 (hex).
     *
     * @throws IOException when the slot holds fewer bytes or could not be read
     */
    public String finish(long length) throws IOException {
        synchronized (lock) {
            if (length > allowed) {
                throw new IllegalStateException("only " + allowed + " bytes were synced, not " + length);
            }
            target = length;
            lock.notifyAll();
            while (digest == null && error == null) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            if (error != null) {
                throw error;
            }
            return digest;
        }
    }

    private void run() {
        MessageDigest md = Digests.create("sha256");
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        FileChannel ch = null;
        try {
            while (true) {
                long limit;
                synchronized (lock) {
                    while (!cancelled && done >= allowed && !(target >= 0 && done >= target)) {
                        lock.wait();
                    }
                    if (cancelled) {
                        return;
                    }
                    if (target >= 0 && done >= target) {
                        digest = Hex.encode(md.digest());
                        lock.notifyAll();
                        return;
                    }
                    limit = target >= 0 ? Math.min(allowed, target) : allowed;
                }
                if (ch == null && done < limit) {
                    ch = FileChannel.open(file, StandardOpenOption.READ);
                }
                while (done < limit) {
                    buf.clear().limit((int) Math.min(chunk, limit - done));
                    int n = ch.read(buf, done);
                    if (n < 0) {
                        throw new IOException("slot " + slot + " holds only " + done + " of " + limit + " bytes");
                    }
                    md.update(buf.flip());
                    synchronized (lock) {
                        done += n;
                        if (cancelled) {
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            synchronized (lock) {
                error = e;
                lock.notifyAll();
            }
        } catch (InterruptedException e) {
            // cancelled
        } catch (RuntimeException | Error e) {
            // Anything else must still wake finish(), or the verification would wait forever.
            synchronized (lock) {
                error = new IOException("reading back slot " + slot + " failed: " + e, e);
                lock.notifyAll();
            }
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

    /** Stops the read-back (when the download did not complete in this run). */
    @Override
    public void close() {
        synchronized (lock) {
            cancelled = true;
            lock.notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
