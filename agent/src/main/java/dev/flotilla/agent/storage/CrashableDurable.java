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
    public synchronized long operations() {
        return operations;
    }

    /** Descriptions of the operations that ran, in order. */
    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    /** Whether the power is off (a cut happened and {@link #powerOn()} was not called since). */
    public synchronized boolean isOff() {
        return off;
    }

    /** How many times the power was cut. */
    public synchronized int cuts() {
        return cuts;
    }

    /** Plans a further cut just before the {@code k}-th operation from now (1 = the next one). */
    public synchronized void cutAfter(long k) {
        this.cutBefore = operations + k;
    }

    /** Turns the power back on; no further cut is planned. The operation count keeps running. */
    public synchronized void powerOn() {
        off = false;
        cutBefore = 0;
    }

    /** Makes writes that would grow {@code file} beyond {@code bytes} fail with {@link StorageFullException}. */
    public synchronized void limitSpace(Path file, long bytes) {
        this.limitedFile = file.toAbsolutePath();
        this.limitBytes = bytes;
    }

    @Override
    public synchronized void write(Path file, long offset, ByteBuffer data) throws IOException {
        begin("write " + file.getFileName() + " @" + offset + " +" + data.remaining());
        if (file.toAbsolutePath().equals(limitedFile) && offset + data.remaining() > limitBytes) {
            throw new StorageFullException(file, new IOException("No space left on device (simulated)"));
        }
        remember(file);
        real.write(file, offset, data);
    }

    @Override
    public synchronized void append(Path file, byte[] data) throws IOException {
        begin("append " + file.getFileName() + " +" + data.length);
        remember(file);
        real.append(file, data);
    }

    @Override
    public synchronized void truncate(Path file, long size) throws IOException {
        begin("truncate " + file.getFileName() + " " + size);
        remember(file);
        real.truncate(file, size);
    }

    @Override
    public synchronized void fsync(Path file) throws IOException {
        begin("fsync " + file.getFileName());
        real.fsync(file);
        durableContent.remove(key(file));
    }

    @Override
    public synchronized void rename(Path from, Path to) throws IOException {
        begin("rename " + from.getFileName() + " -> " + to.getFileName());
        real.rename(from, to);
        Optional<byte[]> carried = durableContent.remove(key(from));
        durableContent.remove(key(to));
        if (carried != null) {
            durableContent.put(key(to), carried);
        }
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        begin("delete " + file.getFileName());
        real.delete(file);
        durableContent.remove(key(file));
    }

    @Override
    public synchronized void envChange(String what, EnvAction action) throws IOException {
        begin("env " + what);
        action.run();
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
