package dev.flotilla.agent.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The one seam through which every durable operation of the agent goes: writes into files and slots,
 * fsync, rename, delete, and boot-environment changes.
 *
 * <p>Each call is one <em>operation</em>. The power-cut tests (their crashable storage) count them and can
 * stop the world just before operation k. Reads do not go through the seam: they use the file system
 * directly and see whatever the last operations left there.
 *
 * <p>Durability contract (what the agent may rely on after a power cut):
 * <ul>
 *   <li>data written with {@link #write} or {@link #append} survives only once {@link #fsync} of that file
 *       returned;</li>
 *   <li>{@link #rename} and {@link #delete} are durable when they return (they fsync the directory);</li>
 *   <li>{@link #envChange} is atomic and durable when it returns (the backend guarantees it).</li>
 * </ul>
 */
public interface Durable {

    /**
     * Writes {@code data} at {@code offset} of {@code file}, creating it when absent; not durable until
     * {@link #fsync}.
     *
     * @throws StorageFullException when the device has no space left
     * @throws IOException on any other I/O error
     */
    void write(Path file, long offset, ByteBuffer data) throws IOException;

    /** Appends {@code data} to {@code file}, creating it when absent; not durable until {@link #fsync}. */
    void append(Path file, byte[] data) throws IOException;

    /** Cuts {@code file} to {@code size} bytes; not durable until {@link #fsync}. */
    void truncate(Path file, long size) throws IOException;

    /** Flushes the data of {@code file} to stable storage. */
    void fsync(Path file) throws IOException;

    /** Atomically renames {@code from} to {@code to}, replacing {@code to}, and fsyncs the directory. */
    void rename(Path from, Path to) throws IOException;

    /** Deletes {@code file} when present and fsyncs the directory. */
    void delete(Path file) throws IOException;

    /**
     * Runs a boot-environment change (for example {@code fw_setenv -s}) as one atomic operation.
     *
     * @param what a short description for logs and test reports
     */
    void envChange(String what, EnvAction action) throws IOException;

    /** One atomic boot-environment change. */
    @FunctionalInterface
    interface EnvAction {
        void run() throws IOException;
    }

    /**
     * Replaces the whole content of {@code file} atomically: write a temporary sibling, fsync it, rename it
     * over {@code file}. After a power cut the file has either the old or the new content.
     */
    default void replace(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        delete(tmp);
        write(tmp, 0, ByteBuffer.wrap(content));
        fsync(tmp);
        rename(tmp, file);
    }
}
