package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.TargetFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A repository with generated keys for tests: 2-of-3 root (mixed key types), 1 targets key, one snapshot
 * and one timestamp key, written to a directory on {@link #publish()}.
 */
public final class RepoFixture {
    public final Path dir;
    public List<KeySigner> rootSigners = List.of(TestKeys.ed25519(), TestKeys.signer(KeyType.ECDSA_P256),
            TestKeys.signer(KeyType.RSA));
    public KeySigner targetsSigner = TestKeys.ed25519();
    public KeySigner snapshotSigner = TestKeys.signer(KeyType.ECDSA_P256);
    public KeySigner timestampSigner = TestKeys.ed25519();
    public final Repository repo;

    public RepoFixture(Path dir) {
        this.dir = dir;
        TopLevelKeys keys = new TopLevelKeys(TestKeys.roleKeys(2, rootSigners.toArray(KeySigner[]::new)),
                TestKeys.roleKeys(1, targetsSigner), TestKeys.roleKeys(1, snapshotSigner),
                TestKeys.roleKeys(1, timestampSigner));
        repo = Repository.create(keys, Clock.systemUTC(), ExpiryPolicy.defaults());
        repo.sign("root", rootSigners.subList(0, 2));
    }

    /** Adds a firmware target to a role. */
    public TargetFile addTarget(String role, String path, byte[] data, String version) throws IOException {
        FirmwareInfo info = new FirmwareInfo(List.of("board-a"), version, 1);
        TargetFile file = TargetFiles.describe(TargetContent.of(data), info.toCustom());
        repo.addTarget(role, path, file, TargetContent.of(data));
        return file;
    }

    /** Signs every unsigned targets role with the given signers for delegated roles, refreshes and writes. */
    public void publish(KeySigner... delegatedSigners) throws IOException {
        for (String role : repo.targetsRoleNames()) {
            if (!repo.isSigned(role)) {
                List<KeySigner> signers = new ArrayList<>();
                if (role.equals("targets")) {
                    signers.add(targetsSigner);
                } else {
                    List<String> allowed = Thresholds.allowedKeyIds(repo, role);
                    for (KeySigner s : delegatedSigners) {
                        if (allowed.contains(s.keyId())) {
                            signers.add(s);
                        }
                    }
                }
                repo.sign(role, signers);
            }
        }
        repo.refreshSnapshot(true);
        repo.sign("snapshot", snapshotSigner);
        repo.refreshTimestamp();
        repo.sign("timestamp", timestampSigner);
        RepositoryLayout.write(repo, dir);
    }
}
