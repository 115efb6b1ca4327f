package dev.flotilla.agent.slots;

import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.ThreadFactory;

/**
 * The A/B slots: streams an image into the inactive slot, fsyncs it, reads it back and hashes it.
 *
 * <p>Invariant: the slot the device booted from ({@link BootControl#activeSlot()}) is never opened for
 * writing; every write asks the boot control first and fails with {@link SlotException.Reason#ACTIVE_SLOT}.
 * Writes go through the storage seam in chunks, so a power cut can hit any of them; the caller persists the
 * offset it reached only after {@link #sync}, and resumes from there with {@link #write}. The threads that
 * work beside a download (the read-back, and the update machine's fsyncs) come from {@link #threads()}.
 */
public final class Slots {
    /**
     * Default chunk size for writes and read-back: 256 KiB, which installed a 1 GiB image faster, at a lower peak
     * RSS, than 1 MiB, 128 KiB or 64 KiB did (docs/benchmarks.md, "The agent's files without Jackson's data
     * binding").
     */
    public static final int DEFAULT_CHUNK = 1 << 18;

    private final Slot a;
    private final Slot b;
    private final BootControl boot;
    private final Durable durable;
    private final int chunk;
    private final ThreadFactory threads;

    /** Slots whose background threads are virtual threads. */
    public Slots(Slot a, Slot b, BootControl boot, Durable durable, int chunk) {
        this(a, b, boot, durable, chunk, Thread.ofVirtual().factory());
    }

    /** Slots whose background threads come from {@code threads} (the agent's thread factory). */
    public Slots(Slot a, Slot b, BootControl boot, Durable durable, int chunk, ThreadFactory threads) {
        if (!a.name().equals("a") || !b.name().equals("b")) {
            throw new IllegalArgumentException("slots must be named a and b");
        }
        if (a.path().toAbsolutePath().normalize().equals(b.path().toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("slots a and b are the same path: " + a.path());
        }
        this.a = a;
        this.b = b;
        this.boot = boot;
        this.durable = durable;
        this.chunk = chunk;
        this.threads = threads;
    }

    /** Where the threads that work beside a download come from. */
    public ThreadFactory threads() {
        return threads;
    }

    /** The slot by name. */
    public Slot slot(String name) {
        return switch (name) {
            case "a" -> a;
            case "b" -> b;
            default -> throw new IllegalArgumentException("unknown slot " + name);
        };
    }

    /** The slot the device is not running from. */
    public Slot inactive() throws IOException {
        return slot(BootControl.other(boot.activeSlot()));
    }

    /**
     * Copies {@code in} into {@code slot} starting at {@code offset}, until end of stream or {@code limit}
     * bytes of image in total (the stream never makes the image longer than that). Not durable until
     * {@link #sync}.
     *
     * @return the offset reached
     * @throws SlotException when the slot is the active one or the image would exceed its capacity
     * @throws dev.flotilla.agent.storage.StorageFullException when the device is full
     */
    public long write(String slot, long offset, InputStream in, long limit, Progress progress) throws IOException {
        return write(slot, offset, in, limit, buffer(limit - offset), progress);
    }

    /**
     * {@link #write(String, long, InputStream, long, Progress)} through {@code buf}, a buffer from
     * {@link #buffer(long)} that the caller keeps for every segment of one download: a new chunk-sized array per
     * segment would each go straight to the old generation of a small heap and grow it until a full collection.
     */
    public long write(String slot, long offset, InputStream in, long limit, byte[] buf, Progress progress)
            throws IOException {
        Slot s = writable(slot);
        long pos = offset;
        while (pos < limit) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, limit - pos));
            if (n < 0) {
                break;
            }
            if (s.capacity() > 0 && pos + n > s.capacity()) {
                throw new SlotException(SlotException.Reason.TOO_LARGE, "image does not fit slot " + slot
                        + ": " + (pos + n) + " > capacity " + s.capacity());
            }
            durable.write(s.path(), pos, ByteBuffer.wrap(buf, 0, n));
            pos += n;
            progress.bytes(pos, limit);
        }
        return pos;
    }

    /** Flushes {@code slot} to stable storage. */
    public void sync(String slot) throws IOException {
        durable.fsync(writable(slot).path());
    }

    /** Reads the first {@code length} bytes of {@code slot} back and returns their SHA-256 (hex). */
    public String sha256(String slot, long length, Progress progress) throws IOException {
        MessageDigest md = Digests.create("sha256");
        ByteBuffer buf = ByteBuffer.allocate(chunk(length));
        try (FileChannel ch = FileChannel.open(slot(slot).path(), StandardOpenOption.READ)) {
            long pos = 0;
            while (pos < length) {
                buf.clear().limit((int) Math.min(buf.capacity(), length - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException("slot " + slot + " holds only " + pos + " of " + length + " bytes");
                }
                md.update(buf.flip());
                pos += n;
                progress.bytes(pos, length);
            }
        }
        return Hex.encode(md.digest());
    }

    /**
     * Starts reading {@code slot} back in the background, from byte 0 up to what the caller reports as
     * fsynced, for an image of {@code length} bytes; see {@link ReadBack}. The caller closes it when it does not
     * {@link ReadBack#finish} it.
     */
    public ReadBack readBack(String slot, long length) {
        return new ReadBack(slot, slot(slot).path(), chunk(length), threads);
    }

    /** A new write buffer for {@code bytes} to move: see {@link #chunk(long)}. */
    public byte[] buffer(long bytes) {
        return new byte[chunk(bytes)];
    }

    /**
     * The I/O buffer's size for {@code bytes} to move: the chunk size, or less for a small image (a board's heap
     * is small).
     */
    private int chunk(long bytes) {
        return (int) Math.max(1, Math.min(chunk, bytes));
    }

    private Slot writable(String name) throws IOException {
        Slot s = slot(name);
        String active = boot.activeSlot();
        if (active.equals(name)) {
            throw new SlotException(SlotException.Reason.ACTIVE_SLOT,
                    "refusing to write slot " + name + ": the device is running from it");
        }
        return s;
    }
}
