package dev.flotilla.cli.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flotilla sim --json}: the run's report as one line of JSON on stdout, in place of the summary, with the
 * progress lines on stderr; no {@code --report} needed (a tiny run: {@code good-release}, 3 boards, speed 60).
 */
class SimJsonTest {
    private static final int BOARDS = 3;

    @TempDir
    Path dir;

    @Test
    void printsTheReportAsOneLineOfJsonOnStdoutAndTheProgressOnStderr() throws Exception {
        CliRun run = CliRun.of("sim", "--scenario", "good-release", "--devices", BOARDS, "--seed", 7, "--speed", 60,
                "--json", "--work-dir", dir.resolve("work"), "--timeout-minutes", 4);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip().lines()).as("one line, the report").hasSize(1);
        JsonNode r = CanonicalJson.parse(run.out().strip().getBytes(StandardCharsets.UTF_8));
        assertThat(r.path("scenario").asText()).isEqualTo("good-release");
        assertThat(r.path("devices").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("seed").asLong()).isEqualTo(7);
        assertThat(r.path("settled").asBoolean()).isTrue();
        assertThat(r.path("updated").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("bricked").asInt()).isZero();
        assertThat(r.path("versions").path("2.0.0").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("stages").isArray()).isTrue();
        assertThat(r.path("load").path("checkIns").asLong()).isGreaterThanOrEqualTo(BOARDS);
        assertThat(run.err()).contains("sim: ").doesNotContain("flotilla: error");
        assertThat(run.out()).doesNotContain("sim: ").doesNotContain(" devices, ");
        try (Stream<Path> written = Files.list(dir)) {
            assertThat(written.map(p -> p.getFileName().toString())).as("no report file without --report")
                    .containsExactly("work");
        }
    }
}
