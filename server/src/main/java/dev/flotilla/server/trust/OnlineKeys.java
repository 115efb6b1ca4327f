package dev.flotilla.server.trust;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.io.Fsync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The server's online keys: snapshot, timestamp and director (Ed25519). They live in
 * {@code DIR/keys/ROLE.pem} (mode 0600, never in the database) and are created on first start (synced to the
 * disk before the server signs anything with them). Servers
 * sharing one database must share these files (e.g. the same data directory on shared storage).
 *
 * @param snapshot  signs snapshot metadata
 * @param timestamp signs timestamp metadata
 * @param director  signs per-device assignments
 */
public record OnlineKeys(KeySigner snapshot, KeySigner timestamp, KeySigner director) {
    public static final String SNAPSHOT = "snapshot";
    public static final String TIMESTAMP = "timestamp";
    public static final String DIRECTOR = "director";

    /**
     * Loads the keys from {@code DIR/keys}, creating any that is missing. Creation is safe against a
     * concurrent start in the same directory: a key file appears atomically (hard link of a complete file)
     * and whoever loses the race loads the winner's key.
     */
    public static OnlineKeys loadOrCreate(Path dataDir) {
        Path dir = dataDir.resolve("keys");
        try {
            Files.createDirectories(dir);
            return new OnlineKeys(load(dir, SNAPSHOT), load(dir, TIMESTAMP), load(dir, DIRECTOR));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create or read online keys in " + dir, e);
        }
    }

    private static KeySigner load(Path dir, String role) throws IOException {
        Path file = dir.resolve(role + ".pem");
        if (!Files.exists(file)) {
            Path tmp = dir.resolve("." + role + "-" + UUID.randomUUID() + ".tmp");
            try {
                KeyFiles.writePrivateKey(tmp, KeyPairs.generate(KeyType.ED25519));
                Fsync.file(tmp);
                Files.createLink(file, tmp);
                Fsync.directory(dir); // metadata signed with it is committed later: the key must outlive a crash
            } catch (FileAlreadyExistsException e) {
                // another server created it first
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return KeyFiles.loadSigner(file);
    }

    /** The public keys by role, as {@code GET /api/v1/trust/online-keys} shows them. */
    public Map<String, Key> publicKeys() {
        Map<String, Key> m = new LinkedHashMap<>();
        m.put(SNAPSHOT, snapshot.publicKey());
        m.put(TIMESTAMP, timestamp.publicKey());
        m.put(DIRECTOR, director.publicKey());
        return m;
    }
}
