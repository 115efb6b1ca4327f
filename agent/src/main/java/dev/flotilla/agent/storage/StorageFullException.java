package dev.flotilla.agent.storage;

import java.io.IOException;
import java.nio.file.Path;

/** The device ran out of space while writing {@link #file()} (ENOSPC). */
public final class StorageFullException extends IOException {
    private final transient Path file;

    public StorageFullException(Path file, Throwable cause) {
        super("no space left on device while writing " + file, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Whether an I/O error from the JDK is the operating system's "no space left on device". */
    static boolean isNoSpace(IOException e) {
        String m = e.getMessage();
        return m != null && (m.contains("No space left on device") || m.contains("ENOSPC"));
    }
}
