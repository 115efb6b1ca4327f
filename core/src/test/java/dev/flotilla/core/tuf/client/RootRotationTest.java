package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Conformance-style root rotation scenarios (spec 5.3) against the real {@link Updater} over HTTP. */
class RootRotationTest {
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

    @Test
    void refreshFollowsRootRotationsOneToFiveWithThresholdChanges() {
        TestSigner b = TestSigner.ecdsa();
        sim.addRootKey("root", b);
        sim.setThreshold("root", 2);
        sim.publishRoot();                                   // v2: 2 of {a, b}
        TestSigner c = TestSigner.rsa();
        TestSigner d = TestSigner.ed25519();
        TestSigner e = TestSigner.ecdsa();
        sim.rotateRootKeys("root", c, d, e);
        sim.setThreshold("root", 2);
        sim.publishRoot();                                   // v3: 2 of {c, d, e}, signed by a, b, c, d, e
        sim.setThreshold("root", 3);
        sim.rotateRootKeys("timestamp", TestSigner.ecdsa());
        sim.publishRoot();                                   // v4: 3 of {c, d, e}; new timestamp key
        sim.setThreshold("root", 1);
        sim.publishRoot();                                   // v5: 1 of {c, d, e}
        sim.publishTimestamp();

        client.refresh();

        assertThat(client.locallyTrusted()).containsEntry("root", 5L).containsEntry("timestamp", 2L);
        Root root = Metadata.fromBytes(client.local("root.json").orElseThrow(), Root.class).signed();
        assertThat(root.role("root").threshold()).isEqualTo(1);
        for (int v = 2; v <= 6; v++) {
            assertThat(sim.fetchCount("metadata/" + v + ".root.json")).as("root " + v).isEqualTo(1);
        }
    }

    @Test
    void refreshAcceptsExpiredIntermediateRootWhenTheFinalOneIsValid() {
        sim.setExpires("root", RepositorySimulator.NOW.minus(Duration.ofDays(30)));
        sim.publishRoot();
        sim.setExpires("root", RepositorySimulator.DEFAULT_EXPIRES);
        sim.publishRoot();

        client.refresh();

        assertThat(client.locallyTrusted()).containsEntry("root", 3L).containsEntry("targets", 1L);
    }

    @Test
    void refreshRefusesRootNotSignedByThePreviousThreshold() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.rotateRootKeys("root", TestSigner.ed25519());
        List<Signer> onlyNew = sim.signers("root");
        sim.publishRootSignedBy(onlyNew);

        client.refreshFails(Reason.UNSIGNED);

        client.assertStateKept(before, trustedBefore);
    }

    @Test
    void refreshRefusesRootNotSignedByItsOwnThreshold() {
        List<Signer> old = sim.signers("root");
        sim.rotateRootKeys("root", TestSigner.ed25519());
        sim.publishRootSignedBy(old);

        client.refreshFails(Reason.UNSIGNED);

        assertThat(client.localVersion("root.json")).isEqualTo(1);
    }

    @Test
    void refreshRefusesRootWithSkippedVersion() {
        sim.publishRoot();
        byte[] v3 = sim.publishRoot();
        sim.override("metadata/2.root.json", v3);

        client.refreshFails(Reason.BAD_VERSION);

        assertThat(client.localVersion("root.json")).isEqualTo(1);
    }

    @Test
    void refreshStopsAfterMaxRootRotations() {
        for (int i = 0; i < 4; i++) {
            sim.publishRoot();
        }
        UpdaterConfig base = sim.config(dir);
        UpdaterConfig two = new UpdaterConfig(base.metadataDir(), base.metadataBaseUrl(), base.targetDir(),
                base.targetBaseUrl(), 2, base.maxDelegations(), base.rootMaxLength(), base.timestampMaxLength(),
                base.snapshotMaxLength(), base.targetsMaxLength(), base.prefixTargetsWithHash());

        new Updater(two, new HttpFetcher(), client.clock).refresh();

        assertThat(client.localVersion("root.json")).isEqualTo(3);
        assertThat(sim.fetchCount("metadata/4.root.json")).isZero();
        client.refresh();
        assertThat(client.localVersion("root.json")).isEqualTo(5);
    }
}
