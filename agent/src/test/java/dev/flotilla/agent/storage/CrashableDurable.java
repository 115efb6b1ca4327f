package dev.flotilla.agent.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Durable} for tests that counts operations and can cut the power just before operation k.
 *
 * <p>The model. Operations go through to the real files (so ordinary reads see them), and for every file
 * written since its last fsync the class keeps the file's <em>durable</em> content: what it held at its
 * last fsync, or "absent" when it never was fsynced. A power cut puts every such file back to its durable
 * content (un-fsynced writes, appends and truncations are lost as a whole). {@link #rename} and
 * {@link #delete} are durable once done (the real code fsyncs the directory): a rename carries the source's
 * durable content to the target name, so renaming a file that was never fsynced can leave nothing behind.
 * {@link #envChange} is atomic: it either ran or it did not. Torn writes inside one operation are not
 * modelled; the agent never relies on the order in which un-fsynced writes reach the disk.
 *
 * <p>After the cut every further operation throws {@link PowerCut} too, until {@link #powerOn()}.
 * Operations are atomic with respect to each other: the agent's download fsyncs and checkpoints on one
 * thread while it writes on another, and the model orders them as they happened.
 */
public final class CrashableDurable implements Durable {
    private final Durable real = new FileDurable();
    /** Makes operations atomic with respect to each other (a lock, not a monitor: they block on file I/O). */
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Path, Optional<byte[]>> durableContent = new HashMap<>();
    private final List<String> log = new ArrayList<>();
    private long operations;
    private long cutBefore;
    private boolean off;
    private int cuts;
    private Path limitedFile;
    private long limitBytes = Long.MAX_VALUE;

    /** A storage that never cuts the power (use it to count the operations of a run). */
    public CrashableDurable() {
        this(0);
    }

    /** A storage that cuts the power just before its {@code cutBefore}-th operation (1-based; 0 = never). */
    public CrashableDurable(long cutBefore) {
        this.cutBefore = cutBefore;
    }

    /** The number of operations that ran (a cut operation does not count). */
    public long operations() {
        return locked(() -> operations);
    }

    /** Descriptions of the operations that ran, in order. */
    public List<String> log() {
        return locked(() -> List.copyOf(log));
    }

    /** Whether the power is off (a cut happened and {@link #powerOn()} was not called since). */
    public boolean isOff() {
        return locked(() -> off);
    }

    /** How many times the power was cut. */
    public int cuts() {
        return locked(() -> cuts);
    }

    /** Plans a further cut just before the {@code k}-th operation from now (1 = the next one). */
    public void cutAfter(long k) {
        locked(() -> cutBefore = operations + k);
    }

    /** Turns the power back on; no further cut is planned. The operation count keeps running. */
    public void powerOn() {
        locked(() -> {
            off = false;
            return cutBefore = 0;
        });
    }

    /** Makes writes that would grow {@code file} beyond {@code bytes} fail with {@link StorageFullException}. */
    public void limitSpace(Path file, long bytes) {
        locked(() -> {
            limitedFile = file.toAbsolutePath();
            return limitBytes = bytes;
        });
    }

    @Override
    public void write(Path file, long offset, ByteBuffer data) throws IOException {
        operation("write " + file.getFileName() + " @" + offset + " +" + data.remaining(), () -> {
            if (file.toAbsolutePath().equals(limitedFile) && offset + data.remaining() > limitBytes) {
                throw new StorageFullException(file, new IOException("No space left on device (simulated)"));
            }
            remember(file);
            real.write(file, offset, data);
        });
    }

    @Override
    public void append(Path file, byte[] data) throws IOException {
        operation("append " + file.getFileName() + " +" + data.length, () -> {
            remember(file);
            real.append(file, data);
        });
    }

    @Override
    public void truncate(Path file, long size) throws IOException {
        operation("truncate " + file.getFileName() + " " + size, () -> {
            remember(file);
            real.truncate(file, size);
        });
    }

    @Override
    public void fsync(Path file) throws IOException {
        operation("fsync " + file.getFileName(), () -> {
            real.fsync(file);
            durableContent.remove(key(file));
        });
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        operation("rename " + from.getFileName() + " -> " + to.getFileName(), () -> {
            real.rename(from, to);
            Optional<byte[]> carried = durableContent.remove(key(from));
            durableContent.remove(key(to));
            if (carried != null) {
                durableContent.put(key(to), carried);
            }
        });
    }

    @Override
    public void delete(Path file) throws IOException {
        operation("delete " + file.getFileName(), () -> {
            real.delete(file);
            durableContent.remove(key(file));
        });
    }

    @Override
    public void envChange(String what, EnvAction action) throws IOException {
        operation("env " + what, action::run);
    }

    /** The body of one operation. */
    @FunctionalInterface
    private interface Body {
        void run() throws IOException;
    }

    /** Runs operation {@code what} (counted, or cut) under the lock: operations are atomic to each other. */
    private void operation(String what, Body body) throws IOException {
        lock.lock();
        try {
            begin(what);
            body.run();
        } finally {
            lock.unlock();
        }
    }

    /** Reads or changes the model's state under the lock; returns what {@code get} returns. */
    private <T> T locked(java.util.function.Supplier<T> get) {
        lock.lock();
        try {
            return get.get();
        } finally {
            lock.unlock();
        }
    }

    private void begin(String what) {
        if (off) {
            throw new PowerCut(operations + 1, what + " (power is off)");
        }
        if (cutBefore > 0 && operations + 1 == cutBefore) {
            cut();
            throw new PowerCut(cutBefore, what);
        }
        operations++;
        log.add(what);
    }

    private void remember(Path file) throws IOException {
        Path k = key(file);
        if (!durableContent.containsKey(k)) {
            durableContent.put(k, Files.exists(k) ? Optional.of(Files.readAllBytes(k)) : Optional.empty());
        }
    }

    /** Puts every file with un-fsynced changes back to its durable content. */
    private void cut() {
        off = true;
        cuts++;
        try {
            for (Map.Entry<Path, Optional<byte[]>> e : durableContent.entrySet()) {
                if (e.getValue().isPresent()) {
                    Files.write(e.getKey(), e.getValue().get());
                } else {
                    Files.deleteIfExists(e.getKey());
                }
            }
            durableContent.clear();
        } catch (IOException e) {
            throw new IllegalStateException("could not model the power cut", e);
        }
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }
}
