package dev.flotilla.agent.storage;

import dev.flotilla.core.io.Fsync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The real storage: {@link FileChannel} writes, {@code force(true)}, atomic rename plus directory fsync. */
public final class FileDurable implements Durable {

    @Override
    public void write(Path file, long offset, ByteBuffer data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            long pos = offset;
            while (data.hasRemaining()) {
                pos += ch.write(data, pos);
            }
        } catch (IOException e) {
            throw translate(file, e);
        }
    }

    @Override
    public void append(Path file, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            throw translate(file, e);
        }
    }

    @Override
    public void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            ch.truncate(size);
        }
    }

    @Override
    public void fsync(Path file) throws IOException {
        try {
            Fsync.file(file);
        } catch (IOException e) {
            throw translate(file, e);
        }
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically", e);
        }
        fsyncDirectory(to.toAbsolutePath().getParent());
    }

    @Override
    public void delete(Path file) throws IOException {
        if (Files.deleteIfExists(file)) {
            fsyncDirectory(file.toAbsolutePath().getParent());
        }
    }

    @Override
    public void envChange(String what, EnvAction action) throws IOException {
        action.run();
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        Fsync.directory(dir);
    }

    private static IOException translate(Path file, IOException e) {
        return StorageFullException.isNoSpace(e) ? new StorageFullException(file, e) : e;
    }
}
