package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flotilla release show NAME} against a real server on loopback: the release's fields, what the targets
 * metadata signs for it and the rollouts of it, readable and with {@code --json}; an unknown name is one line.
 */
class ReleaseShowCommandTest {
    @TempDir
    Path tmp;
    private ReleaseServer rs;
    private CliFixture fx;
    private byte[] image;

    @BeforeEach
    void publish() throws Exception {
        rs = ReleaseServer.publishing(tmp, "fw-1.1.0.img",
                "firmware 1.1.0 for board-a and board-b".getBytes(StandardCharsets.UTF_8), "1.1.0",
                "--hardware", "board-a", "--hardware", "board-b", "--security-version", "4");
        fx = rs.fx;
        image = rs.image;
    }

    @AfterEach
    void stop() {
        rs.close();
    }

    private CliRun ok(Object... args) {
        return rs.ok(args);
    }

    private CliRun as(Object... args) {
        return rs.as(args);
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
