package dev.flotilla.cli.trust;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.repo.ExpiryPolicy;
import dev.flotilla.core.tuf.repo.Repository;
import dev.flotilla.core.tuf.repo.RepositoryLayout;
import dev.flotilla.core.tuf.repo.TopLevelKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

class TrustCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void initWritesRootVersionOneSignedToThreshold() throws Exception {
        CliFixture fx = new CliFixture(tmp).init();

        byte[] root = Files.readAllBytes(fx.repo.resolve("1.root.json"));
        assertThat(fx.repo.resolve("root.json")).hasBinaryContent(root);
        Metadata<Root> md = Metadata.fromBytes(root, Root.class);
        assertThat(md.signed().version()).isEqualTo(1);
        assertThat(md.signed().consistentSnapshot()).isTrue();
        assertThat(md.signed().role("root").threshold()).isEqualTo(2);
        assertThat(md.signed().role("root").keyids()).hasSize(3);
        Metadata.verifyThreshold("root", md.signed().role("root"), md.signed().keys(), md);
        try (var files = Files.list(fx.repo)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1.root.json", "root.json");
        }
    }

    @Test
    void initRefusesKeysThatCannotMeetRootThresholdAndWritesNothing() {
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "root2", "targets", "snapshot", "timestamp");
        CliRun run = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"), fx.pub("root2"),
                "--root-threshold", 2, "--targets-key", fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"),
                "--timestamp-key", fx.pub("timestamp"), "--sign-with", fx.key("root1"));
        assertOneLineError(run, "root version 1 has 1 valid signature(s) of the 2 required");
        assertThat(fx.repo).doesNotExist();

        CliRun wrongKey = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"),
                "--targets-key", fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"),
                "--timestamp-key", fx.pub("timestamp"), "--sign-with", fx.key("targets"));
        assertOneLineError(wrongKey, "is not a root key");
        assertThat(fx.repo).doesNotExist();

        CliRun json = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"), fx.pub("root2"),
                "--root-threshold", 2, "--targets-key", fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"),
                "--timestamp-key", fx.pub("timestamp"), "--sign-with", fx.key("root1"), "--json");
        assertOneLineError(json, "root version 1 has 1 valid signature(s) of the 2 required");
        assertThat(json.out()).isEmpty();
        assertThat(fx.repo).doesNotExist();
    }

    @Test
    void initReportsUnreadableAndGarbageKeyFiles() throws Exception {
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets", "snapshot", "timestamp");
        Path garbage = Files.writeString(tmp.resolve("garbage.pub.json"), "{\"not\": \"a key\"}");
        CliRun run = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", garbage, "--targets-key",
                fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"),
                "--sign-with", fx.key("root1"));
        assertOneLineError(run, garbage + ": not a public key file");

        CliRun missing = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key",
                fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"), "--timestamp-key", fx.pub("timestamp"),
                "--sign-with", tmp.resolve("nope.pem"));
        assertOneLineError(missing, tmp.resolve("nope.pem") + ": cannot read key file: no such file");
        assertThat(fx.repo).doesNotExist();
    }

    @Test
    void initRefusesAnExistingRepository() throws Exception {
        CliFixture fx = new CliFixture(tmp).init();
        Map<String, String> before = CliFixture.tree(fx.repo);
        CliRun run = CliRun.of("trust", "init", "--out", fx.repo, "--root-key", fx.pub("root1"),
                "--targets-key", fx.pub("targets"), "--snapshot-key", fx.pub("snapshot"),
                "--timestamp-key", fx.pub("timestamp"), "--sign-with", fx.key("root1"));
        assertOneLineError(run, "already holds a root");
        assertThat(CliFixture.tree(fx.repo)).isEqualTo(before);
    }

    @Test
    void rotateWritesNextRootSignedByOldAndNewKeys() throws Exception {
        CliFixture fx = new CliFixture(tmp).init().generate("rsa", "new1").generate("ed25519", "new2", "timestamp2");

        CliRun run = CliRun.of("trust", "rotate", "--repo", fx.repo, "--root-key", fx.pub("new1"), fx.pub("new2"),
                "--root-threshold", 2, "--timestamp-key", fx.pub("timestamp2"),
                "--sign-with", fx.key("root1"), fx.key("root3"), fx.key("new1"), fx.key("new2"));

        assertThat(run.exitCode()).as(run.err()).isZero();
        Repository repo = RepositoryLayout.load(fx.repo, Clock.systemUTC(), ExpiryPolicy.defaults());
        assertThat(repo.root().signed().version()).isEqualTo(2);
        assertThat(repo.rootHistory()).hasSize(2);
        assertThat(repo.topLevelKeys().root().threshold()).isEqualTo(2);
        assertThat(repo.topLevelKeys().targets())
                .isEqualTo(TopLevelKeys.of(repo.rootHistory().get(0).signed()).targets());
        assertThat(repo.topLevelKeys().timestamp().keyids()).containsExactly(
                dev.flotilla.core.keys.KeyFiles.loadPublicKey(fx.pub("timestamp2")).keyId());
        assertThat(fx.repo.resolve("root.json")).hasSameBinaryContentAs(fx.repo.resolve("2.root.json"));
    }

    @Test
    void rotateRefusesWithoutThePreviousRootKeysAndLeavesDirectoryUnchanged() throws Exception {
        CliFixture fx = new CliFixture(tmp).init().generate("ed25519", "new1");
        Map<String, String> before = CliFixture.tree(fx.repo);

        CliRun run = CliRun.of("trust", "rotate", "--repo", fx.repo, "--root-key", fx.pub("new1"),
                "--sign-with", fx.key("new1"), fx.key("root1"));

        assertOneLineError(run, "root version 2 (by the keys of root version 1) has 1 valid signature(s) of the 2 required");
        assertThat(CliFixture.tree(fx.repo)).isEqualTo(before);
    }

    @Test
    void rotateReportsMissingRepository() {
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "k");
        assertOneLineError(CliRun.of("trust", "rotate", "--repo", tmp.resolve("none"), "--sign-with", fx.key("k")),
                tmp.resolve("none") + ": no such file or directory");
    }
}
