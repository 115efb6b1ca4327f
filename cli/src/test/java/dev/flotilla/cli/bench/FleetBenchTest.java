package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench fleet}: server processes on a throw-away PostgreSQL, a small fleet. */
class FleetBenchTest {
    @Test
    void aSmallFleetOnTwoServerProcessesPrintsSaneFiguresAndLeavesNoServerBehind() {
        CliRun run = CliRun.of("bench", "fleet", "--postgres-embedded", "--devices", 200, "--nodes", 2,
                "--poll-seconds", 2, "--clients", 4, "--millis", 1000, "--server-heap", "256m", "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode out = CanonicalJson.parse(run.out().strip().getBytes(StandardCharsets.UTF_8));

        assertThat(out.path("devices").asInt()).isEqualTo(200);
        assertThat(out.path("targetPerSecond").asDouble()).isEqualTo(100.0);
        for (JsonNode figures : new JsonNode[] {out, out.path("nodes")}) {
            for (String f : new String[] {"achievedPerSecond", "p50Millis", "p99Millis", "maxPerSecond"}) {
                assertThat(figures.path(f).asDouble()).as(f).isPositive();
            }
            assertThat(figures.path("p99Millis").asDouble()).isGreaterThanOrEqualTo(figures.path("p50Millis").asDouble());
        }
        assertThat(out.has("registerMillis")).isTrue(); // 200 rows in one batch can take under a millisecond
        assertThat(out.path("registerMillis").asLong()).isNotNegative();
        assertThat(out.path("firstIdlePassPerSecond").asDouble()).isPositive();
        assertThat(out.path("serverRssMiB").asLong()).isPositive();
        assertThat(out.path("serverPeakRssMiB").asLong()).isGreaterThanOrEqualTo(out.path("serverRssMiB").asLong());
        assertThat(out.path("serverHeapUsedMiB").asLong()).isPositive().isLessThanOrEqualTo(256);
        assertThat(out.path("serverCachedDevices").asLong()).as("every device idle-cached on the first node").isEqualTo(200);
        assertThat(out.path("databaseMiB").asLong()).isPositive();
        assertThat(out.path("nodes").path("count").asInt()).isEqualTo(2);
        assertThat(out.path("nodes").path("ratioToOneNode").asDouble()).isPositive();
        assertThat(out.path("nodes").path("serverRssMiB")).hasSize(2).allSatisfy(r -> assertThat(r.asLong()).isPositive());
        assertThat(out.path("serverPids")).hasSize(2).allSatisfy(pid -> assertThat(ProcessHandle.of(pid.asLong())
                .map(ProcessHandle::isAlive).orElse(false)).as("server process " + pid + " is gone").isFalse());
    }

    @Test
    void withoutPostgresqlItSaysSoInOneLine() {
        CliRun run = CliRun.of("bench", "fleet", "--devices", 10);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: bench fleet needs PostgreSQL: "
                + "--database jdbc:postgresql://... or --postgres-embedded");
        assertThat(run.out()).isEmpty();
    }
}
