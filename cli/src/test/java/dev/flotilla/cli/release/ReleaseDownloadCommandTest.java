package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flotilla release download NAME} against a real server whose images need a token: the whole image, a resumed
 * one, and refusals (a part that is not a prefix of the image, a key that did not sign the targets, an unknown
 * release) that leave no file behind; the earlier {@code --name NAME} of download and delete still works, with a
 * warning.
 */
class ReleaseDownloadCommandTest {
    @TempDir
    Path tmp;
    private ReleaseServer rs;
    private Server server;
    private String admin;
    private CliFixture fx;
    private byte[] image;

    @BeforeEach
    void publish() throws Exception {
        byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        rs = ReleaseServer.publishing(tmp, "fw-1.0.bin", bytes, "1.0.0", "--hardware", "board-a");
        server = rs.server;
        admin = rs.admin;
        fx = rs.fx;
        image = rs.image;
    }

    @AfterEach
    void stop() {
        rs.close();
    }

    private CliRun download(Path out, Object... more) {
        Object[] base = {"release", "download", "fw-1.0.bin", "--server", server.uri(), "--token", admin,
                "--out", out};
        Object[] args = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return CliRun.of(args);
    }

    private static Path part(Path out) {
        return out.resolveSibling(out.getFileName() + ".part");
    }

    @Test
    void downloadsTheWholeImageCheckedAgainstTheSignedTargets() throws Exception {
        Path out = tmp.resolve("got/fw.img");
        Files.createDirectories(out.getParent());
        CliRun run = download(out, "--expect-key", fx.pub("targets"), "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("downloaded fw-1.0.bin", "300000 bytes", "matching the signed targets metadata");
        assertThat(Files.readAllBytes(out)).isEqualTo(image);
        assertThat(part(out)).doesNotExist();
    }

    @Test
    void showsAProgressBarOnStderrAndKeepsItOutOfStdout() throws Exception {
        Path out = tmp.resolve("fw.img");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.err;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8)); // where the bar writes
        CliRun run;
        try {
            run = download(out);
        } finally {
            System.setErr(saved);
        }
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("download fw-1.0.bin").contains("100%");
        assertThat(run.out()).contains("downloaded fw-1.0.bin").doesNotContain("100%");
        assertThat(Files.readAllBytes(out)).isEqualTo(image);
    }

    @Test
    void resumesFromThePartAnEarlierRunLeft() throws Exception {
        Path out = tmp.resolve("fw.img");
        Files.write(part(out), Arrays.copyOf(image, 123_456));
        CliRun run = download(out, "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode answer = CanonicalJson.parse(run.out().strip().getBytes(StandardCharsets.UTF_8));
        assertThat(answer.path("resumedFrom").asLong()).isEqualTo(123_456);
        assertThat(answer.path("length").asLong()).isEqualTo(300_000);
        assertThat(Files.readAllBytes(out)).isEqualTo(image);
        assertThat(part(out)).doesNotExist();
    }

    @Test
    void aPartThatIsNotAPrefixOfTheImageIsDeletedAndNothingIsWritten() throws Exception {
        Path out = tmp.resolve("fw.img");
        byte[] wrong = Arrays.copyOf(image, 1000);
        wrong[10] ^= 1;
        Files.write(part(out), wrong);
        assertOneLineError(download(out, "--no-progress"), "does not match the signed targets metadata");
        assertThat(out).doesNotExist();
        assertThat(part(out)).doesNotExist();
        CliRun again = download(out, "--no-progress"); // the next run starts over and succeeds
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(image);
    }

    @Test
    void theEarlierNameOptionStillWorksWithAWarningAndTheNameIsGivenExactlyOnce() throws Exception {
        Path out = tmp.resolve("fw.img");
        CliRun old = CliRun.of("release", "download", "--name", "fw-1.0.bin", "--server", server.uri(), "--token",
                admin, "--out", out, "--no-progress");
        assertThat(old.exitCode()).as(old.err()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(image);
        assertThat(old.err().strip()).isEqualTo("flotilla: warning: --name is deprecated and will be removed; give"
                + " the release as the argument: flotilla release download fw-1.0.bin ...");
        assertThat(CliRun.of("release", "download", "--help").out()).contains("NAME").doesNotContain("--name");
        CliRun delete = CliRun.of("release", "delete", "--name", "nope.bin", "--server", server.uri(), "--token", admin,
                "--targets-key", fx.key("targets"));
        assertThat(delete.exitCode()).isEqualTo(1);
        assertThat(delete.err().lines().toList()).hasSize(2).first().asString()
                .startsWith("flotilla: warning: --name is deprecated");
        assertThat(delete.err()).contains("flotilla: error: the server's current targets", "do not list 'nope.bin'");
        assertThat(CliRun.of("release", "delete", "--help").out()).contains("NAME").doesNotContain("--name");

        CliRun none = CliRun.of("release", "download", "--server", server.uri(), "--token", admin, "--out", out);
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("Missing required argument").contains("NAME");
        CliRun both = CliRun.of("release", "download", "fw-1.0.bin", "--name", "fw-1.0.bin", "--server", server.uri(),
                "--token", admin, "--out", out);
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void refusesTargetsNotSignedByTheExpectedKeyAndUnknownReleases() throws Exception {
        Path out = tmp.resolve("fw.img");
        assertOneLineError(download(out, "--expect-key", fx.pub("other")), "refusing to download");
        assertThat(out).doesNotExist();
        assertThat(part(out)).doesNotExist();

        CliRun unknown = CliRun.of("release", "download", "nope.bin", "--server", server.uri(), "--token", admin,
                "--out", out);
        assertOneLineError(unknown, "do not list 'nope.bin'");
        assertThat(out).doesNotExist();

        CliRun badToken = CliRun.of("release", "download", "fw-1.0.bin", "--server", server.uri(), "--token",
                "flt_wrong", "--out", out);
        assertThat(badToken.exitCode()).isNotZero();
        assertThat(out).doesNotExist();
    }
}
