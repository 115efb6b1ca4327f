package dev.flotilla.agent.install;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.RoleKeys;
import dev.flotilla.core.tuf.repo.TargetContent;
import dev.flotilla.core.tuf.repo.TopLevelKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.List;

/** A TUF repository on disk made with core's repository code and fresh Ed25519 keys (one per role). */
public final class TestRepo {
    public final Path dir;
    final KeySigner root = signer();
    final KeySigner targets = signer();
    final KeySigner snapshot = signer();
    final KeySigner timestamp = signer();
    /** The director key, listed only in {@link #rootWithDirectorBytes()}. */
    public final KeySigner director = signer();
    public final Repository repo;

    public TestRepo(Path dir, Clock clock) {
        this.dir = dir;
        repo = Repository.create(new TopLevelKeys(RoleKeys.of(1, root.publicKey()), RoleKeys.of(1, targets.publicKey()),
                RoleKeys.of(1, snapshot.publicKey()), RoleKeys.of(1, timestamp.publicKey())), clock, ExpiryPolicy.defaults());
        repo.sign("root", root);
    }

    static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }

    /** Adds a firmware image as a target. */
    public TargetFile add(String path, byte[] image, String hardwareId, String version, long securityVersion) {
        FirmwareInfo info = new FirmwareInfo(List.of(hardwareId), version, securityVersion);
        TargetFile file = TargetFile.of(image, info.toCustom());
        repo.addTarget("targets", path, file, TargetContent.of(image));
        return file;
    }

    /** Signs targets, snapshot and timestamp and writes the repository directory. */
    public void publish() throws IOException {
        repo.bump("targets");
        repo.sign("targets", targets);
        repo.refreshSnapshot(true);
        repo.sign("snapshot", snapshot);
        repo.refreshTimestamp();
        repo.sign("timestamp", timestamp);
        RepositoryLayout.write(repo, dir);
    }

    /**
     * Root version 1 as {@link #rootBytes()} plus a {@code director} role (key {@link #director}, threshold
     * 1), signed by the root key: a device that ships it verifies real signed director assignments.
     */
    public byte[] rootWithDirectorBytes() {
        dev.flotilla.core.tuf.Root r = repo.root().signed();
        java.util.Map<String, Key> keys = new java.util.LinkedHashMap<>(r.keys());
        java.util.Map<String, dev.flotilla.core.tuf.Role> roles = new java.util.LinkedHashMap<>(r.roles());
        keys.put(director.keyId(), director.publicKey());
        roles.put("director", new dev.flotilla.core.tuf.Role(List.of(director.keyId()), 1));
        return dev.flotilla.core.tuf.Metadata.of(new dev.flotilla.core.tuf.Root(r.specVersion(), r.version(),
                r.expires(), r.consistentSnapshot(), keys, roles, r.unrecognized())).sign(root).toBytes();
    }

    /**
     * Replaces {@code timestamp.json} with the next timestamp version, signed by the timestamp key (as a thief
     * of that online key could), declaring the next snapshot version with {@code length} bytes.
     *
     * @return the file name of that snapshot version (for the server to answer in its own way)
     */
    public String writeTimestampDeclaringSnapshot(long length) throws IOException {
        var current = dev.flotilla.core.tuf.Metadata.fromBytes(Files.readAllBytes(dir.resolve("timestamp.json")),
                dev.flotilla.core.tuf.Timestamp.class).signed();
        long snapshot = current.snapshotMeta().version() + 1;
        var next = new dev.flotilla.core.tuf.Timestamp(current.specVersion(), current.version() + 1, current.expires(),
                new dev.flotilla.core.tuf.MetaFile(snapshot, length, java.util.Map.of("sha256", "00".repeat(32)),
                        java.util.Map.of()), java.util.Map.of());
        Files.write(dir.resolve("timestamp.json"), dev.flotilla.core.tuf.Metadata.of(next).sign(timestamp).toBytes());
        return snapshot + ".snapshot.json";
    }

    /** The root to ship with the device image. */
    public byte[] rootBytes() throws IOException {
        return Files.readAllBytes(dir.resolve("1.root.json"));
    }
}
