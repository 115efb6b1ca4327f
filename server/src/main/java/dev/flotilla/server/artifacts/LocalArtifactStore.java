package dev.flotilla.server.artifacts;

import dev.flotilla.core.io.Fsync;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;

/**
 * Objects as files under a directory (the server's data directory: keys {@code artifacts/...}). A put writes
 * {@code staging/NAME} (the key's last segment), syncs it to the disk, then renames it atomically to the key's
 * path and syncs that directory: a crash leaves at most a stray staging file, never a partial object. Several
 * servers may share the directory (a shared disk).
 */
public final class LocalArtifactStore implements ArtifactStore {
    private final Path root;
    private final Path staging;

    public LocalArtifactStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.staging = this.root.resolve("staging");
    }

    @Override
    public Stored put(String key, InputStream in, long maxBytes) {
        Path target = path(key);
        Path temp = staging.resolve(target.getFileName() + ".part");
        try {
            Files.createDirectories(staging);
            HashingReader reader = new HashingReader(in, maxBytes);
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW)) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = reader.fill(buf, 0, buf.length)) > 0) {
                    out.write(buf, 0, n);
                }
            }
            Fsync.file(temp);
            Files.createDirectories(target.getParent());
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            Fsync.directory(target.getParent());
            return reader.stored();
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new ArtifactStoreException("storing " + key + " in " + describe() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
    }

    @Override
    public InputStream open(String key, long first, long count) {
        Path file = path(key);
        try {
            SeekableByteChannel ch = Files.newByteChannel(file);
            ch.position(first);
            return new BoundedInputStream(Channels.newInputStream(ch), count, key);
        } catch (NoSuchFileException e) {
            throw new ArtifactStoreException("no object " + key + " in " + describe(), e);
        } catch (IOException e) {
            throw new ArtifactStoreException("reading " + key + " in " + describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long size(String key) {
        try {
            return Files.size(path(key));
        } catch (NoSuchFileException e) {
            throw new ArtifactStoreException("no object " + key + " in " + describe(), e);
        } catch (IOException e) {
            throw new ArtifactStoreException("reading " + key + " in " + describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw new ArtifactStoreException("deleting " + key + " in " + describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<URI> downloadUrl(String key, Duration ttl) {
        return Optional.empty();
    }

    @Override
    public String describe() {
        return "directory " + root;
    }

    @Override
    public void close() {
        // nothing held open
    }

    private Path path(String key) {
        return root.resolve(ArtifactStore.requireKey(key));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a stray staging file holds nothing that matters
        }
    }
}
