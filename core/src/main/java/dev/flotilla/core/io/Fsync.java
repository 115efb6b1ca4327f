package dev.flotilla.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Forces files and directory entries to the disk (fsync): the one implementation behind the server's files
 * that a database row refers to (synced before the commit that names them), the atomic file writes of the
 * TUF client and the tools, and the agent's storage.
 */
public final class Fsync {
    private Fsync() {
    }

    /** Forces the content and metadata of {@code file} to the disk. */
    public static void file(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
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
