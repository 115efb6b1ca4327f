package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import dev.flotilla.core.tuf.Signature;
import dev.flotilla.core.tuf.Timestamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Rollback, fast-forward, key compromise below threshold and wrong software installation against the real
 * {@link Updater} over HTTP.
 */
class UpdaterRollbackTest {
    @TempDir
    Path dir;
    RepositorySimulator sim;
    TestClient client;

    @BeforeEach
    void setUp() {
        sim = RepositorySimulator.started();
        client = new TestClient(sim, dir);
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------ rollback

    @Test
    void refreshRejectsRolledBackTimestamp() {
        byte[] v1 = sim.latest("timestamp");
        sim.publish();
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.override("metadata/timestamp.json", v1);

        RepositoryError e = client.refreshFails(Reason.BAD_VERSION);

        assertThat(e).hasMessageContaining("timestamp version went down");
        client.assertStateKept(before, trustedBefore);
        assertThat(trustedBefore).containsEntry("timestamp", 2L);
    }

    @Test
    void refreshRejectsTimestampPointingAtOlderSnapshot() {
        sim.publish();
        sim.publish();
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        // a validly signed timestamp v4 naming snapshot v2 (an older one)
        Timestamp legit = Metadata.fromBytes(sim.latest("timestamp"), Timestamp.class).signed();
        Timestamp rolled = new Timestamp(legit.specVersion(), 4, legit.expires(), new MetaFile(2), Map.of());
        sim.override("metadata/timestamp.json", RepositorySimulator.sign(rolled, sim.signers("timestamp")));

        RepositoryError e = client.refreshFails(Reason.BAD_VERSION);

        assertThat(e).hasMessageContaining("snapshot version in timestamp went down");
        client.assertStateKept(before, trustedBefore);
    }

    @Test
    void refreshRejectsSnapshotWithRolledBackTargetsVersion() {
        sim.publish("targets");
        client.refresh();
        Map<String, String> before = client.localFiles();
        // the repository (snapshot key holder) republishes targets v1's version number in snapshot v3
        sim.setVersion("targets", 0);
        sim.publish("targets");

        RepositoryError e = client.refreshFails(Reason.BAD_VERSION);

        assertThat(e).hasMessageContaining("targets.json version went down");
        assertThat(client.localFiles().get("snapshot.json")).isEqualTo(before.get("snapshot.json"));
        assertThat(client.localFiles().get("targets.json")).isEqualTo(before.get("targets.json"));
        assertThat(client.localVersion("snapshot.json")).isEqualTo(2);
    }

    @Test
    void refreshRejectsRolledBackTargetsVersion() {
        sim.hashesInMeta = false;
        byte[] targetsV1 = sim.latest("targets");
        sim.publish("targets");
        client.refresh();
        sim.publish("targets");
        sim.override("metadata/3.targets.json", targetsV1);

        client.refreshFails(Reason.BAD_VERSION);

        assertThat(client.localVersion("targets.json")).isEqualTo(2);
    }

    @Test
    void refreshRejectsSnapshotThatDropsARole() {
        TestSigner k = TestSigner.ed25519();
        sim.delegate("targets", "apps", List.of("apps/*"), false, k);
        sim.publish("targets", "apps");
        client.refresh();
        Map<String, String> before = client.localFiles();
        sim.forget("apps");
        sim.publish();

        RepositoryError e = client.refreshFails(Reason.BAD_VERSION);

        assertThat(e).hasMessageContaining("no longer lists apps.json");
        assertThat(client.localFiles().get("snapshot.json")).isEqualTo(before.get("snapshot.json"));
    }

    // ------------------------------------------------------------ fast-forward

    @Test
    void refreshRecoversFromFastForwardAttackAfterTimestampKeyRotation() {
        client.refresh();
        // the timestamp key is stolen: the attacker signs a huge version and the client accepts it
        Timestamp legit = Metadata.fromBytes(sim.latest("timestamp"), Timestamp.class).signed();
        Timestamp huge = new Timestamp(legit.specVersion(), 999_999, legit.expires(), legit.snapshotMeta(), Map.of());
        sim.override("metadata/timestamp.json", RepositorySimulator.sign(huge, sim.signers("timestamp")));
        client.refresh();
        assertThat(client.localVersion("timestamp.json")).isEqualTo(999_999);
        sim.clearOverrides();
        sim.publish();
        client.refreshFails(Reason.BAD_VERSION);   // stuck: every real timestamp now looks rolled back

        // recovery: root rotates the timestamp key
        sim.rotateRootKeys("timestamp", TestSigner.ed25519());
        sim.publishRoot();
        sim.publishTimestamp();
        client.refresh();

        assertThat(client.localVersion("root.json")).isEqualTo(2);
        assertThat(client.localVersion("timestamp.json")).isEqualTo(3);
        assertThat(client.locallyTrusted()).containsEntry("timestamp", 3L).containsEntry("snapshot", 2L);
    }

    @Test
    void refreshDeletesTrustedTimestampAndSnapshotWhenTimestampKeysRotate() {
        client.refresh();
        assertThat(client.local("timestamp.json")).isPresent();
        sim.rotateRootKeys("timestamp", TestSigner.ed25519());
        sim.publishRoot();
        sim.override("metadata/timestamp.json", RepositorySimulator.status(503));

        client.refreshFailsToDownload(DownloadError.Kind.HTTP_STATUS);

        assertThat(client.localVersion("root.json")).isEqualTo(2);
        assertThat(client.local("timestamp.json").isPresent()).as("spec 5.3.11").isFalse();
        assertThat(client.local("snapshot.json").isPresent()).as("spec 5.3.11").isFalse();
        assertThat(client.local("targets.json").isPresent()).isTrue();
    }

    @Test
    void refreshDeletesTrustedTimestampAndSnapshotWhenSnapshotKeysRotate() {
        client.refresh();
        sim.rotateRootKeys("snapshot", TestSigner.ecdsa());
        sim.publishRoot();
        sim.override("metadata/timestamp.json", RepositorySimulator.status(503));

        client.refreshFailsToDownload(DownloadError.Kind.HTTP_STATUS);

        assertThat(client.local("snapshot.json").isPresent()).isFalse();
        assertThat(client.local("timestamp.json").isPresent()).isFalse();
        assertThat(client.localVersion("root.json")).isEqualTo(2);
    }

    @Test
    void refreshRecoversFromFastForwardedSnapshotAfterSnapshotKeyRotation() {
        sim.hashesInMeta = false;
        client.refresh();
        // stolen snapshot key: targets version fast-forwarded in a snapshot the client accepts
        sim.setVersion("targets", 499);
        sim.publish("targets");
        client.refresh();
        assertThat(client.localVersion("targets.json")).isEqualTo(500);
        sim.setVersion("targets", 1);
        sim.publish("targets");
        client.refreshFails(Reason.BAD_VERSION);

        sim.rotateRootKeys("snapshot", TestSigner.rsa());
        sim.publishRoot();
        sim.publish();
        client.refresh();

        assertThat(client.locallyTrusted()).containsEntry("snapshot", 4L).containsEntry("targets", 2L);
    }

    // ------------------------------------------------------------ key compromise below threshold

    @Test
    void refreshRejectsTimestampSignedByOneOfTwoRequiredKeys() {
        TestSigner second = TestSigner.ecdsa();
        sim.addRootKey("timestamp", second);
        sim.setThreshold("timestamp", 2);
        sim.publishRoot();
        sim.publishTimestamp();
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        TestSigner compromised = (TestSigner) sim.signers("timestamp").get(0);
        Timestamp legit = Metadata.fromBytes(sim.latest("timestamp"), Timestamp.class).signed();
        Timestamp evil = new Timestamp(legit.specVersion(), 50, legit.expires(), legit.snapshotMeta(), Map.of());
        Metadata<Timestamp> one = Metadata.of(evil).sign(compromised);
        List<Signature> sigs = new ArrayList<>(one.signatures());
        sigs.add(new Signature(second.keyId(), one.signatures().get(0).sig())); // wrong key's signature
        sim.override("metadata/timestamp.json", one.withSignatures(sigs).toBytes());

        RepositoryError e = client.refreshFails(Reason.UNSIGNED);

        assertThat(e).hasMessageContaining("1 valid signature(s) of the 2 required");
        client.assertStateKept(before, trustedBefore);
        sim.clearOverrides();
        sim.publishTimestamp();
        client.refresh();
        assertThat(client.localVersion("timestamp.json")).isEqualTo(3);
    }

    @Test
    void refreshRefusesTimestampWhoseSignaturesListOneKeyIdTwice() {
        sim.publishTimestamp();
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        // threshold 1, one valid signature, listed twice: enough signatures, but the file is not valid TUF
        Timestamp legit = Metadata.fromBytes(sim.latest("timestamp"), Timestamp.class).signed();
        Timestamp next = new Timestamp(legit.specVersion(), 50, legit.expires(), legit.snapshotMeta(), Map.of());
        Metadata<Timestamp> one = Metadata.of(next).sign(sim.signers("timestamp").get(0));
        Signature sig = one.signatures().get(0);
        sim.override("metadata/timestamp.json", one.withSignatures(List.of(sig, sig)).toBytes());

        RepositoryError e = client.refreshFails(Reason.MALFORMED);

        assertThat(e).hasMessageContaining("the signatures list key id " + sig.keyid() + " more than once");
        client.assertStateKept(before, trustedBefore);
        sim.override("metadata/timestamp.json", one.toBytes()); // the same file with the signature once
        client.refresh();
        assertThat(client.localVersion("timestamp.json")).isEqualTo(50);
    }

    @Test
    void refreshRejectsRootSignedByOneOfTwoRequiredOldKeys() {
        TestSigner second = TestSigner.rsa();
        sim.addRootKey("root", second);
        sim.setThreshold("root", 2);
        sim.publishRoot();
        client.refresh();
        Map<String, String> before = client.localFiles();
        sim.rotateRootKeys("root", TestSigner.ed25519());
        sim.setThreshold("root", 1);
        List<dev.flotilla.core.tuf.Signer> attacker = new ArrayList<>(List.of(second));
        attacker.addAll(sim.signers("root"));
        sim.publishRootSignedBy(attacker);

        client.refreshFails(Reason.UNSIGNED);

        assertThat(client.localFiles()).isEqualTo(before);
        assertThat(client.localVersion("root.json")).isEqualTo(2);
    }

    @Test
    void refreshCountsOneKeyListedUnderTwoKeyIdsOnce() {
        TestSigner real = (TestSigner) sim.signers("timestamp").get(0);
        dev.flotilla.core.tuf.Signer alias = new dev.flotilla.core.tuf.Signer() {
            @Override
            public dev.flotilla.core.tuf.Key publicKey() {
                return real.publicKey();
            }

            @Override
            public String keyId() {
                return "0".repeat(64);
            }

            @Override
            public byte[] sign(byte[] data) {
                return real.sign(data);
            }
        };
        sim.addRootKey("timestamp", alias);
        sim.setThreshold("timestamp", 2);
        sim.publishRoot();
        sim.publishTimestamp();   // two signature entries, one key

        RepositoryError e = client.refreshFails(Reason.UNSIGNED);

        assertThat(e).hasMessageContaining("1 valid signature(s) of the 2 required");
        assertThat(client.local("timestamp.json")).isEmpty();
        assertThat(client.localVersion("root.json")).isEqualTo(2);
    }

    // ------------------------------------------------------------ wrong software installation

    @Test
    void targetSearchIgnoresTargetListedByRoleNotTrustedForThatPath() {
        TestSigner apps = TestSigner.ed25519();
        TestSigner fw = TestSigner.ed25519();
        sim.delegate("targets", "apps", List.of("apps/*"), false, apps);
        sim.delegate("targets", "firmware", List.of("firmware/*"), false, fw);
        sim.addTarget("apps", "firmware/device.bin", utf8("wrong"));
        sim.addTarget("firmware", "firmware/device.bin", utf8("right"));
        sim.publish("targets", "apps", "firmware");
        Updater u = client.refresh();

        TargetInfo info = u.getTargetInfo("firmware/device.bin").orElseThrow();

        assertThat(info.role()).isEqualTo("firmware");
        assertThat(info.file().length()).isEqualTo(5);
        assertThat(sim.fetchCount("metadata/1.apps.json")).as("apps is not trusted for firmware/*").isZero();
    }

    @Test
    void terminatingDelegationStopsTheSearch() {
        TestSigner a = TestSigner.ed25519();
        TestSigner b = TestSigner.ed25519();
        sim.delegate("targets", "first", List.of("firmware/*"), true, a);
        sim.delegate("targets", "second", List.of("firmware/*"), false, b);
        sim.addTarget("second", "firmware/device.bin", utf8("from second"));
        sim.publish("targets", "first", "second");
        Updater u = client.refresh();

        assertThat(u.getTargetInfo("firmware/device.bin")).isEmpty();
        assertThat(sim.fetchCount("metadata/1.first.json")).isEqualTo(1);
        assertThat(sim.fetchCount("metadata/1.second.json")).isZero();
        assertThat(catchThrowableOfType(RepositoryError.class, () -> u.getTargetInfo("x"))).isNull();
    }
}
