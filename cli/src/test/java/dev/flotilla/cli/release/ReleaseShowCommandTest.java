package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flotilla release show NAME} against a real server on loopback: the release's fields, what the targets
 * metadata signs for it and the rollouts of it, readable and with {@code --json}; an unknown name is one line.
 */
class ReleaseShowCommandTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;
    private byte[] image;

    @BeforeEach
    void publish() throws Exception {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:show" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        ok("trust", "init", "--accept-online-keys", "--out", fx.repo, "--root-key", fx.pub("root1"),
                "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1"));
        image = "firmware 1.1.0 for board-a and board-b".getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(tmp.resolve("fw-1.1.0.img"), image);
        ok("release", "publish", "--image", file, "--version", "1.1.0", "--hardware", "board-a",
                "--hardware", "board-b", "--security-version", "4", "--targets-key", fx.key("targets"), "--no-progress");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Runs a command as the admin against the server; it must succeed. */
    private CliRun ok(Object... args) {
        CliRun run = as(args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    private CliRun as(Object... args) {
        List<Object> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.uri(), "--token", admin));
        return CliRun.of(all.toArray());
    }

    @Test
    void showsTheReleaseWithItsSignedFieldsSignersAndRollouts() throws Exception {
        String keyId = KeyFiles.loadPublicKey(fx.pub("targets")).keyId();
        CliRun none = ok("release", "show", "fw-1.1.0.img");
        assertThat(none.out()).contains("rollouts:          none");

        String deployment = CanonicalJson.parse(ok("deployments", "create", "--target", "fw-1.1.0.img", "--group",
                "lab", "--allow-empty", "--json").out().getBytes(StandardCharsets.UTF_8)).path("id").asText();
        CliRun run = ok("release", "show", "fw-1.1.0.img");
        assertThat(run.err()).isEmpty();
        assertThat(run.out().lines().toList()).contains(
                "target:            fw-1.1.0.img",
                "version:           1.1.0",
                "hardware:          board-a, board-b",
                "length:            " + image.length + " bytes",
                "sha256:            " + Digests.sha256Hex(image),
                "security version:  4",
                "targets signed by: " + keyId + " (key ids)",
                "rollouts (newest first):");
        assertThat(run.out()).containsPattern("sha512: +[0-9a-f]{128}\\n")
                .containsPattern("published: +\\S+Z \\(targets version \\d+\\)")
                .containsPattern("  " + deployment + " +deployment +active +1/1 ");

        JsonNode json = CanonicalJson.parse(ok("releases", "show", "fw-1.1.0.img", "--json").out().strip()
                .getBytes(StandardCharsets.UTF_8));
        assertThat(json.path("targetPath").asText()).isEqualTo("fw-1.1.0.img");
        assertThat(json.path("version").asText()).isEqualTo("1.1.0");
        assertThat(json.path("length").asLong()).isEqualTo(image.length);
        assertThat(json.path("sha256").asText()).isEqualTo(Digests.sha256Hex(image));
        assertThat(json.path("hardwareIds").toString()).isEqualTo("[\"board-a\",\"board-b\"]");
        assertThat(json.path("securityVersion").asLong()).isEqualTo(4);
        assertThat(json.path("signedBy").toString()).isEqualTo("[\"" + keyId + "\"]");
        assertThat(json.path("rollouts").findValuesAsText("id")).containsExactly(deployment);
    }

    @Test
    void anUnknownNameIsOneLine() {
        assertOneLineError(as("release", "show", "nope.img"),
                "flotilla: error: not_found: release 'nope.img' not found");
        CliRun missing = as("release", "show");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required parameter: 'NAME'");
    }
}
