package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A repository written by {@link RepositoryLayout}, served over HTTP, read by our {@link Updater}. */
class RepositoryUpdaterTest {
    @TempDir
    Path tmp;
    RepoFixture fx;
    DirectoryServer server;
    Path clientDir;

    @BeforeEach
    void setUp() throws Exception {
        fx = new RepoFixture(tmp.resolve("repo"));
        server = new DirectoryServer(Files.createDirectories(fx.dir));
        clientDir = tmp.resolve("client");
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private Updater updater() throws Exception {
        if (!Files.exists(clientDir.resolve("root.json"))) {
            Updater.initialize(clientDir, Files.readAllBytes(fx.dir.resolve("1.root.json")));
        }
        UpdaterConfig cfg = UpdaterConfig.of(clientDir, server.baseUrl(), clientDir.resolve("targets"),
                server.baseUrl().resolve("targets/"));
        Updater u = new Updater(cfg, new HttpFetcher(), Clock.systemUTC());
        u.refresh();
        return u;
    }

    private byte[] download(Updater u, String path) throws Exception {
        TargetInfo info = u.getTargetInfo(path).orElseThrow(() -> new AssertionError("no target " + path));
        return Files.readAllBytes(u.downloadTarget(info, u.defaultTargetPath(info)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void updaterRefreshesAndDownloadsTargetWithFirmwareFields() throws Exception {
        fx.addTarget("targets", "fw/board-a-1.0.bin", bytes("firmware one"), "1.0.0");
        fx.publish();

        Updater u = updater();
        assertThat(u.trusted().root().signed().version()).isEqualTo(1);
        assertThat(download(u, "fw/board-a-1.0.bin")).isEqualTo(bytes("firmware one"));
        TargetInfo info = u.getTargetInfo("fw/board-a-1.0.bin").orElseThrow();
        assertThat(FirmwareInfo.fromTarget(info.file()).version()).isEqualTo("1.0.0");
        assertThat(info.file().hashes()).containsOnlyKeys("sha256", "sha512");
        for (String hash : info.file().hashes().values()) {
            assertThat(fx.dir.resolve("targets/fw/" + hash + ".board-a-1.0.bin")).hasBinaryContent(bytes("firmware one"));
        }
    }

    @Test
    void updaterFollowsRootRotationToNewKeysAndSeesNewTarget() throws Exception {
        fx.addTarget("targets", "a.bin", bytes("A"), "1.0");
        fx.publish();
        updater();

        KeySigner newRoot1 = TestKeys.ed25519();
        KeySigner newRoot2 = TestKeys.signer(KeyType.ECDSA_P256);
        KeySigner newTimestamp = TestKeys.ed25519();
        fx.repo.rotateRoot(fx.repo.topLevelKeys().with("root", TestKeys.roleKeys(2, newRoot1, newRoot2))
                .with("timestamp", TestKeys.roleKeys(1, newTimestamp)));
        fx.repo.sign("root", newRoot1, newRoot2);
        assertThatThrownBy(() -> fx.repo.requireSigned("root")).isInstanceOf(SigningException.class)
                .hasMessageContaining("by the keys of root version 1");
        fx.repo.sign("root", fx.rootSigners.get(1), fx.rootSigners.get(2));
        fx.timestampSigner = newTimestamp;
        fx.rootSigners = List.of(newRoot1, newRoot2);
        fx.addTarget("targets", "b.bin", bytes("B"), "2.0");
        fx.publish();

        assertThat(fx.dir.resolve("2.root.json")).exists();
        Updater u = updater();
        assertThat(u.trusted().root().signed().version()).isEqualTo(2);
        assertThat(u.trusted().timestamp().orElseThrow().signed().version()).isEqualTo(2);
        assertThat(download(u, "b.bin")).isEqualTo(bytes("B"));
        assertThat(download(u, "a.bin")).isEqualTo(bytes("A"));
    }

    @Test
    void updaterFindsTargetInDelegatedRoleByPathPattern() throws Exception {
        KeySigner boardKey = TestKeys.signer(KeyType.ECDSA_P256);
        fx.repo.delegate("targets", "board-a", TestKeys.roleKeys(1, boardKey), List.of("board-a/*"), true);
        fx.addTarget("board-a", "board-a/app-1.2.bin", bytes("board a image"), "1.2");
        assertThatThrownBy(() -> fx.addTarget("board-a", "board-b/app.bin", bytes("x"), "1.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not trusted");
        fx.publish(boardKey);

        assertThat(fx.dir.resolve("1.board-a.json")).exists();
        Updater u = updater();
        TargetInfo info = u.getTargetInfo("board-a/app-1.2.bin").orElseThrow();
        assertThat(info.role()).isEqualTo("board-a");
        assertThat(download(u, "board-a/app-1.2.bin")).isEqualTo(bytes("board a image"));
    }

    @Test
    void updaterFindsTargetsInSuccinctHashBins() throws Exception {
        KeySigner binKey = TestKeys.ed25519();
        fx.repo.delegateHashBins("targets", "bin", 3, TestKeys.roleKeys(1, binKey));
        assertThat(fx.repo.targetsRoleNames()).hasSize(1 + 8).contains("bin-0", "bin-7");
        var bins = fx.repo.targets("targets").signed().delegations().succinctRoles();
        for (int i = 0; i < 5; i++) {
            String path = "images/fw-" + i + ".bin";
            fx.addTarget(bins.roleForTarget(path), path, bytes("image " + i), "1." + i);
        }
        fx.publish(binKey);

        Updater u = updater();
        for (int i = 0; i < 5; i++) {
            String path = "images/fw-" + i + ".bin";
            assertThat(u.getTargetInfo(path).orElseThrow().role()).isEqualTo(bins.roleForTarget(path));
            assertThat(download(u, path)).isEqualTo(bytes("image " + i));
        }
    }

    @Test
    void repositoryLoadedFromDirectoryContinuesWithNewVersions() throws Exception {
        KeySigner boardKey = TestKeys.ed25519();
        fx.repo.delegate("targets", "board a+b", TestKeys.roleKeys(1, boardKey), List.of("a/*"), false);
        fx.addTarget("targets", "one.bin", bytes("1"), "1");
        fx.publish(boardKey);
        assertThat(fx.dir.resolve("1.board%20a%2Bb.json")).exists();
        updater();

        Repository loaded = RepositoryLayout.load(fx.dir, Clock.systemUTC(), ExpiryPolicy.defaults());
        assertThat(loaded.targetsRoleNames()).containsExactly("targets", "board a+b");
        assertThat(loaded.delegatorOf("board a+b")).isEqualTo("targets");
        assertThat(loaded.targets("targets").toBytes()).isEqualTo(fx.repo.targets("targets").toBytes());
        assertThat(loaded.snapshot().orElseThrow().signed().version()).isEqualTo(1);

        FirmwareInfo info = new FirmwareInfo(List.of("board-a"), "2.0", 2);
        loaded.addTarget("board a+b", "a/two.bin", TargetFiles.describe(TargetContent.of(bytes("2")), info.toCustom()),
                TargetContent.of(bytes("2")));
        assertThat(loaded.targets("board a+b").signed().version()).isEqualTo(2);
        loaded.sign("board a+b", boardKey);
        loaded.refreshSnapshot(false);
        loaded.sign("snapshot", fx.snapshotSigner);
        loaded.refreshTimestamp();
        loaded.sign("timestamp", fx.timestampSigner);
        RepositoryLayout.write(loaded, fx.dir);

        Updater u = updater();
        assertThat(u.trusted().snapshot().orElseThrow().signed().version()).isEqualTo(2);
        assertThat(download(u, "a/two.bin")).isEqualTo(bytes("2"));
    }

    @Test
    void writeRefusesUnderSignedRootAndWritesNothing() throws Exception {
        fx.addTarget("targets", "a.bin", bytes("A"), "1.0");
        fx.publish();
        List<String> before;
        try (var s = Files.walk(fx.dir)) {
            before = s.map(Path::toString).sorted().toList();
        }
        KeySigner newRoot = TestKeys.ed25519();
        fx.repo.rotateRoot(fx.repo.topLevelKeys().with("root", TestKeys.roleKeys(1, newRoot)));
        fx.repo.sign("root", newRoot, fx.rootSigners.get(0));
        fx.repo.bump("targets");
        fx.repo.sign("targets", fx.targetsSigner);

        assertThatThrownBy(() -> RepositoryLayout.write(fx.repo, fx.dir)).isInstanceOf(SigningException.class)
                .hasMessageContaining("1 valid signature(s) of the 2 required");
        try (var s = Files.walk(fx.dir)) {
            assertThat(s.map(Path::toString).sorted().toList()).isEqualTo(before);
        }
    }

    @Test
    void signRefusesKeyOfAnotherRole() {
        assertThatThrownBy(() -> fx.repo.sign("targets", fx.snapshotSigner)).isInstanceOf(SigningException.class)
                .hasMessageContaining("is not a targets key");
        assertThatThrownBy(() -> fx.repo.refreshSnapshot(true)).isInstanceOf(SigningException.class)
                .hasMessageContaining("targets has 0 valid signature(s) of the 1 required");
    }

    @Test
    void loadRefusesTamperedMetadata() throws Exception {
        fx.addTarget("targets", "a.bin", bytes("A"), "1.0");
        fx.publish();
        Path file = fx.dir.resolve("1.targets.json");
        String text = Files.readString(file).replace("\"version\":1", "\"version\":1,\"x\":1");
        Files.writeString(file, text);
        assertThatThrownBy(() -> RepositoryLayout.load(fx.dir, Clock.systemUTC(), ExpiryPolicy.defaults()))
                .isInstanceOf(RepositoryError.class).hasMessageContaining("targets has 0 valid signature(s)");
    }
}
