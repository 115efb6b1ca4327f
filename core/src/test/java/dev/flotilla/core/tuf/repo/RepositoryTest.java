package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.TargetFile;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Versioning, expiry and snapshot/timestamp contents of {@link Repository}, with a fixed clock. */
class RepositoryTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final KeySigner root = TestKeys.ed25519();
    private final KeySigner targets = TestKeys.ed25519();
    private final KeySigner snapshot = TestKeys.ed25519();
    private final KeySigner timestamp = TestKeys.ed25519();
    private final Repository repo = Repository.create(new TopLevelKeys(TestKeys.roleKeys(1, root),
            TestKeys.roleKeys(1, targets), TestKeys.roleKeys(1, snapshot), TestKeys.roleKeys(1, timestamp)),
            Clock.fixed(NOW, ZoneOffset.UTC), ExpiryPolicy.defaults());

    private static TargetFile file(String content) {
        return TargetFile.of(content.getBytes(), null);
    }

    private void publishTargetsSnapshotTimestamp(boolean withLengths) {
        repo.sign("targets", targets);
        repo.refreshSnapshot(withLengths);
        repo.sign("snapshot", snapshot);
        repo.refreshTimestamp();
        repo.sign("timestamp", timestamp);
    }

    @Test
    void newMetadataExpiresByTheDefaultPolicy() {
        repo.sign("root", root);
        publishTargetsSnapshotTimestamp(false);
        assertThat(repo.root().signed().expires()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        assertThat(repo.targets("targets").signed().expires()).isEqualTo(NOW.plus(Duration.ofDays(90)));
        assertThat(repo.snapshot().orElseThrow().signed().expires()).isEqualTo(NOW.plus(Duration.ofDays(7)));
        assertThat(repo.timestamp().orElseThrow().signed().expires()).isEqualTo(NOW.plus(Duration.ofDays(1)));
        assertThat(repo.root().signed().consistentSnapshot()).isTrue();
    }

    @Test
    void editsToADraftShareOneVersionAndEditsAfterSigningStartTheNext() {
        repo.addTarget("targets", "a", file("a"), null);
        repo.addTarget("targets", "b", file("b"), null);
        assertThat(repo.targets("targets").signed().version()).isEqualTo(1);
        repo.sign("targets", targets);
        repo.addTarget("targets", "c", file("c"), null);
        repo.removeTarget("targets", "a");
        assertThat(repo.targets("targets").signed().version()).isEqualTo(2);
        assertThat(repo.targets("targets").signatures()).isEmpty();
        assertThat(repo.targets("targets").signed().targets()).containsOnlyKeys("b", "c");
        repo.sign("targets", targets);
        repo.bump("targets");
        assertThat(repo.targets("targets").signed().version()).isEqualTo(3);
    }

    @Test
    void snapshotListsEveryTargetsRoleAndTimestampPointsAtSnapshot() {
        KeySigner delegate = TestKeys.ed25519();
        repo.delegate("targets", "team", TestKeys.roleKeys(1, delegate), List.of("team/*"), false);
        repo.sign("team", delegate);
        publishTargetsSnapshotTimestamp(true);

        Map<String, MetaFile> meta = repo.snapshot().orElseThrow().signed().meta();
        assertThat(meta).containsOnlyKeys("targets.json", "team.json");
        byte[] targetsBytes = repo.targets("targets").toBytes();
        assertThat(meta.get("targets.json").length()).isEqualTo(targetsBytes.length);
        assertThat(meta.get("targets.json").hashes()).containsEntry("sha256", Digests.sha256Hex(targetsBytes));
        MetaFile ts = repo.timestamp().orElseThrow().signed().snapshotMeta();
        byte[] snapshotBytes = repo.snapshot().orElseThrow().toBytes();
        assertThat(ts.version()).isEqualTo(1);
        assertThat(ts.length()).isEqualTo(snapshotBytes.length);
        assertThat(ts.hashes()).containsEntry("sha256", Digests.sha256Hex(snapshotBytes));

        repo.refreshSnapshot(false);
        assertThat(repo.snapshot().orElseThrow().signed().version()).isEqualTo(2);
        assertThat(repo.snapshot().orElseThrow().signed().meta().get("team.json")).isEqualTo(new MetaFile(1));
    }

    @Test
    void timestampNeedsASignedSnapshot() {
        assertThatThrownBy(repo::refreshTimestamp).isInstanceOf(SigningException.class).hasMessageContaining("no snapshot");
        repo.sign("targets", targets);
        repo.refreshSnapshot(false);
        assertThatThrownBy(repo::refreshTimestamp).isInstanceOf(SigningException.class)
                .hasMessageContaining("snapshot has 0 valid signature(s) of the 1 required");
    }

    @Test
    void rotatingAnUnsignedDraftRootReplacesItInsteadOfAddingAVersion() {
        repo.sign("root", root);
        KeySigner next = TestKeys.ed25519();
        repo.rotateRoot(repo.topLevelKeys().with("root", TestKeys.roleKeys(1, next)));
        repo.rotateRoot(repo.topLevelKeys().with("root", TestKeys.roleKeys(1, next)).with("targets",
                TestKeys.roleKeys(1, next)));
        assertThat(repo.rootHistory()).extracting(md -> md.signed().version()).containsExactly(1L, 2L);
        assertThatThrownBy(() -> repo.sign("root", targets)).isInstanceOf(SigningException.class)
                .hasMessageContaining("is not a root key");
        repo.sign("root", root, next);
        repo.requireSigned("root");
    }

    @Test
    void delegationsRefuseClashingOrUnservableNamesAndMixingWithHashBins() {
        KeySigner k = TestKeys.ed25519();
        repo.delegate("targets", "a", TestKeys.roleKeys(1, k), List.of("a/*"), false);
        assertThatThrownBy(() -> repo.delegate("targets", "a", TestKeys.roleKeys(1, k), List.of("b/*"), false))
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> repo.delegate("targets", "x/y", TestKeys.roleKeys(1, k), List.of("b/*"), false))
                .hasMessageContaining("invalid role name");
        assertThatThrownBy(() -> repo.delegateHashBins("targets", "bin", 2, TestKeys.roleKeys(1, k)))
                .hasMessageContaining("already delegates");
        assertThatThrownBy(() -> repo.addTarget("targets", "../escape", file("x"), null))
                .hasMessageContaining("invalid target path");
    }
}
