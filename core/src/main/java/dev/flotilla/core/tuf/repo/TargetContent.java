package dev.flotilla.core.tuf.repo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bytes of a target waiting to be written into a repository directory; each call opens a new stream. */
@FunctionalInterface
public interface TargetContent {
    InputStream open() throws IOException;

    static TargetContent of(byte[] data) {
        byte[] copy = data.clone();
        return () -> new ByteArrayInputStream(copy);
    }

    static TargetContent of(Path file) {
        return () -> Files.newInputStream(file);
    }
}
