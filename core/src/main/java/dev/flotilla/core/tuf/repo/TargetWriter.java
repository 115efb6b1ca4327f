package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.TargetFile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/** Copies a staged target's bytes to {@code targets/DIR/HASH.NAME} for each listed hash, verifying them. */
final class TargetWriter {
    private TargetWriter() {
    }

    static void write(Path targetsDir, Repository.StagedTarget t) throws IOException {
        Path first = null;
        for (String hash : t.file().hashes().values()) {
            Path dest = targetsDir.resolve(Names.hashPrefixed(t.path(), hash));
            if (Files.isRegularFile(dest) && Files.size(dest) == t.file().length()) {
                first = first == null ? dest : first;
                continue;
            }
            Files.createDirectories(dest.getParent());
            Path tmp = Files.createTempFile(dest.getParent(), ".target-", ".tmp");
            try {
                if (first == null) {
                    copyVerified(t, tmp);
                } else {
                    Files.copy(first, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            first = first == null ? dest : first;
        }
    }

    private static void copyVerified(Repository.StagedTarget t, Path tmp) throws IOException {
        Map<String, MessageDigest> digests = new LinkedHashMap<>();
        t.file().hashes().keySet().stream().filter(Digests::isSupported).forEach(a -> digests.put(a, Digests.create(a)));
        long total = 0;
        try (InputStream in = t.content().open(); OutputStream out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                for (MessageDigest d : digests.values()) {
                    d.update(buf, 0, n);
                }
                total += n;
            }
        }
        Map<String, byte[]> done = new LinkedHashMap<>();
        digests.forEach((a, d) -> done.put(a, d.digest()));
        try {
            t.file().verifyDigests(total, done, "target " + t.path());
        } catch (RepositoryError e) {
            throw new IOException("the bytes of target " + t.path() + " changed since it was added: " + e.getMessage(), e);
        }
    }
}
