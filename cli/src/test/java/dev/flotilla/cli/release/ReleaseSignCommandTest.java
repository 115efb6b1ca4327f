package dev.flotilla.cli.release;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.core.tuf.repo.DirectoryServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

class ReleaseSignCommandTest {
    @TempDir
    Path tmp;

    private Path image(String name, String content) throws Exception {
        return Files.writeString(tmp.resolve(name), content);
    }

    private CliRun sign(CliFixture fx, Object... extra) {
        List<Object> args = new java.util.ArrayList<>(List.of("release", "sign", "--repo", fx.repo));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray());
    }

    @Test
    void signedReleaseWithOnlineKeysIsACompleteRepositoryForTheUpdater() throws Exception {
        CliFixture fx = new CliFixture(tmp).init();
        Path image = image("fw.bin", "firmware image bytes");

        CliRun run = sign(fx, "--image", image, "--version", "1.2.0", "--hardware", "board-a", "--hardware", "board-b",
                "--security-version", 3, "--min-installed-version", "1.0", "--name", "boards/fw-1.2.0.bin",
                "--targets-key", fx.key("targets"), "--snapshot-key", fx.key("snapshot"),
                "--timestamp-key", fx.key("timestamp"));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("signed boards/fw-1.2.0.bin (20 bytes");

        CliRun second = sign(fx, "--image", image("fw2.bin", "second"), "--version", "1.3.0", "--hardware", "board-a",
                "--targets-key", fx.key("targets"), "--snapshot-key", fx.key("snapshot"),
                "--timestamp-key", fx.key("timestamp"));
        assertThat(second.exitCode()).as(second.err()).isZero();

        try (DirectoryServer server = new DirectoryServer(fx.repo)) {
            Path client = tmp.resolve("client");
            Updater.initialize(client, Files.readAllBytes(fx.repo.resolve("1.root.json")));
            Updater u = new Updater(UpdaterConfig.of(client, server.baseUrl(), client.resolve("t"),
                    server.baseUrl().resolve("targets/")), new HttpFetcher(), Clock.systemUTC());
            u.refresh();
            assertThat(u.trusted().targets("targets").orElseThrow().signed().version()).isEqualTo(2);
            TargetInfo info = u.getTargetInfo("boards/fw-1.2.0.bin").orElseThrow();
            assertThat(FirmwareInfo.fromTarget(info.file()))
                    .isEqualTo(new FirmwareInfo(List.of("board-a", "board-b"), "1.2.0", 3, "1.0"));
            assertThat(u.downloadTarget(info, u.defaultTargetPath(info))).hasContent("firmware image bytes");
            TargetInfo info2 = u.getTargetInfo("fw2.bin").orElseThrow();
            assertThat(u.downloadTarget(info2, u.defaultTargetPath(info2))).hasContent("second");
        }
    }

    @Test
    void signWithoutOnlineKeysWritesOnlyTargetsMetadataAndImage() throws Exception {
        CliFixture fx = new CliFixture(tmp).init();
        CliRun run = sign(fx, "--image", image("a.bin", "A"), "--version", "1", "--hardware", "h",
                "--targets-key", fx.key("targets"));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(fx.repo.resolve("1.targets.json")).exists();
        assertThat(fx.repo.resolve("timestamp.json")).doesNotExist();
        try (var s = Files.list(fx.repo.resolve("targets"))) {
            assertThat(s.map(p -> p.getFileName().toString())).hasSize(2).allMatch(n -> n.endsWith(".a.bin"));
        }
    }

    @Test
    void wrongOrTooFewKeysLeaveTheRepositoryUnchanged() throws Exception {
        CliFixture fx = new CliFixture(tmp).init();
        Path image = image("a.bin", "A");
        assertThat(sign(fx, "--image", image, "--version", "1", "--hardware", "h", "--targets-key", fx.key("targets"),
                "--snapshot-key", fx.key("snapshot"), "--timestamp-key", fx.key("timestamp")).exitCode()).isZero();
        Map<String, String> before = CliFixture.tree(fx.repo);
        Path image2 = image("b.bin", "B");

        assertOneLineError(sign(fx, "--image", image2, "--version", "2", "--hardware", "h",
                "--targets-key", fx.key("snapshot")), "is not a targets key");
        assertOneLineError(sign(fx, "--image", image2, "--version", "2", "--hardware", "h",
                "--targets-key", fx.key("targets"), "--snapshot-key", fx.key("timestamp"),
                "--timestamp-key", fx.key("timestamp")), "is not a snapshot key");
        assertOneLineError(sign(fx, "--image", image2, "--version", "2", "--hardware", "h",
                "--targets-key", fx.pub("targets")), "not a private key file");
        assertOneLineError(sign(fx, "--image", tmp.resolve("missing.bin"), "--version", "2", "--hardware", "h",
                "--targets-key", fx.key("targets")), "missing.bin: no such file or directory");
        assertOneLineError(sign(fx, "--image", image2, "--version", "v2", "--hardware", "h",
                "--targets-key", fx.key("targets")), "invalid version 'v2'");
        assertOneLineError(sign(fx, "--image", image2, "--version", "2", "--hardware", "h", "--name", "a.bin",
                "--targets-key", fx.key("targets")), "already exists with other content");
        assertOneLineError(sign(fx, "--image", image2, "--version", "2", "--hardware", "h",
                "--targets-key", fx.key("targets"), "--snapshot-key", fx.key("snapshot")), "or neither");

        assertThat(CliFixture.tree(fx.repo)).isEqualTo(before);
    }

    @Test
    void targetsThresholdNeedsEnoughTargetsKeys() throws Exception {
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "t1", "t2", "snapshot", "timestamp");
        CliRun init = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"),
                "--targets-key", fx.pub("t1"), fx.pub("t2"), "--targets-threshold", 2,
                "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"), "--sign-with", fx.key("root1"));
        assertThat(init.exitCode()).as(init.err()).isZero();
        Map<String, String> before = CliFixture.tree(fx.repo);
        Path image = image("a.bin", "A");

        assertOneLineError(sign(fx, "--image", image, "--version", "1", "--hardware", "h", "--targets-key", fx.key("t1")),
                "targets has 1 valid signature(s) of the 2 required");
        assertThat(CliFixture.tree(fx.repo)).isEqualTo(before);

        CliRun ok = sign(fx, "--image", image, "--version", "1", "--hardware", "h",
                "--targets-key", fx.key("t1"), fx.key("t2"));
        assertThat(ok.exitCode()).as(ok.err()).isZero();
    }
}
