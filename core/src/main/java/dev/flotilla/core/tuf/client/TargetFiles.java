package dev.flotilla.core.tuf.client;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.RepositoryError;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Target files on the client's disk: checking a cached copy and downloading one into place. */
final class TargetFiles {
    private TargetFiles() {
    }

    /** The cached copy when it exists and matches length and hashes. */
    static Optional<Path> findCached(TargetInfo info, Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file)) {
            verifyStream(info, in, file.toString());
            return Optional.of(file);
        } catch (RepositoryError | IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Downloads {@code url} to {@code file}: never reads more than the signed length, verifies length and
     * every supported hash, then moves it into place atomically. Nothing is left behind on failure.
     */
    static Path download(Fetcher fetcher, URI url, TargetInfo info, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".download-", ".tmp");
            try {
                try (InputStream in = fetcher.open(url);
                     var out = Files.newOutputStream(tmp)) {
                    DigestingCopy.copy(in, out, info.file().length(), info.path());
                }
                try (InputStream in = Files.newInputStream(tmp)) {
                    verifyStream(info, in, info.path());
                }
                AtomicFiles.moveIntoPlace(tmp, file);
                return file;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing target " + file + ": " + e.getMessage(), e);
        }
    }

    private static void verifyStream(TargetInfo info, InputStream in, String what) throws IOException {
        Map<String, MessageDigest> digests = new LinkedHashMap<>();
        for (String alg : info.file().hashes().keySet()) {
            if (Digests.isSupported(alg)) {
                digests.put(alg, Digests.create(alg));
            }
        }
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > info.file().length()) {
                break;
            }
            for (MessageDigest d : digests.values()) {
                d.update(buf, 0, n);
            }
        }
        Map<String, byte[]> done = new LinkedHashMap<>();
        digests.forEach((k, d) -> done.put(k, d.digest()));
        info.file().verifyDigests(total, done, what);
    }
}
