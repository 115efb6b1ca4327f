package dev.flotilla.server.trust;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.io.Fsync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The server's online keys: snapshot, timestamp and director (Ed25519). They live in
 * {@code DIR/keys/ROLE.pem} (mode 0600, never in the database) and are created on first start (synced to the
 * disk before the server signs anything with them), or in a directory the operator fills ({@link #load}).
 * Servers sharing one database must have the same three files: each node a copy, from a secret store say
 * (docs/deployment.md); a start whose keys the trusted root does not name is refused ({@link #notNamedBy}).
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

    /**
     * Reads the keys from {@code dir}, which the operator filled: a missing file is an error, never created.
     *
     * @throws IllegalArgumentException when a key file is missing, unreadable or not a private key, in one line
     */
    public static OnlineKeys load(Path dir) {
        return new OnlineKeys(read(dir, SNAPSHOT), read(dir, TIMESTAMP), read(dir, DIRECTOR));
    }

    private static KeySigner read(Path dir, String role) {
        Path file = dir.resolve(role + ".pem");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("the online key file " + file + " does not exist (the online keys "
                    + "directory must hold snapshot.pem, timestamp.pem and director.pem)");
        }
        try {
            return KeyFiles.loadSigner(file);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot use the online key file " + e.getMessage(), e);
        }
    }

    /**
     * Why {@code root} does not name these keys, if it does not: the first of snapshot, timestamp and director
     * whose role lacks this key (or asks for more than one signature), as one line.
     */
    public Optional<String> notNamedBy(Root root) {
        Map<String, Key> mine = publicKeys();
        for (Map.Entry<String, Key> k : mine.entrySet()) {
            Role role = root.roles().get(k.getKey());
            if (role == null || role.threshold() != 1 || !role.keyids().contains(k.getValue().keyId())) {
                return Optional.of("the trusted root (version " + root.version() + ") does not name this server's "
                        + k.getKey() + " key " + k.getValue().keyId() + " (it names "
                        + (role == null ? "none" : String.join(", ", role.keyids())) + ")");
            }
        }
        return Optional.empty();
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
