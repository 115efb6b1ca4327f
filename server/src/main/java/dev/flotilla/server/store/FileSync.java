package dev.flotilla.server.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Forces files and directory entries to the disk (fsync), for files that a database row refers to: the file
 * is synced before the commit that names it, so that an acknowledged write never refers to a file that a
 * crash took away.
 */
public final class FileSync {
    private FileSync() {
    }

    /** Forces the content and metadata of {@code file} to the disk. */
    public static void file(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Forces the entries of {@code dir} (a file created, renamed into or out of it) to the disk. A file system
     * that cannot open a directory (not Linux or macOS) is left as it is.
     */
    public static void directory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (System.getProperty("os.name", "").startsWith("Windows")) {
                return; // Windows cannot open a directory as a file; NTFS journals the entry itself
            }
            throw e;
        }
    }
}
