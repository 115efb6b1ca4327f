package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class CheckinBenchTest {
    /** A small {@code bench checkin} run; its JSON output. */
    private static JsonNode bench(Object... extra) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CliRun run;
        java.util.List<Object> args = new java.util.ArrayList<>(java.util.List.of("bench", "checkin", "--devices", 300,
                "--clients", 4, "--millis", 300, "--rounds", 1));
        args.addAll(java.util.List.of(extra));
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            run = CliRun.of(args.toArray());
        } finally {
            System.setOut(old);
        }
        assertThat(run.exitCode()).as(run.err()).isZero();
        return CanonicalJson.parse(buf.toString(StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void smallRunPrintsTheJsonFields() {
        JsonNode out = bench();
        assertThat(out.path("devices").asInt()).isEqualTo(300);
        for (String f : new String[] {"checkinsPerSecond", "noopPerSecond", "ratio", "p50Millis", "p99Millis", "serverRssMiB"}) {
            assertThat(out.path(f).asDouble()).as(f).isPositive();
        }
        assertThat(out.path("p99Millis").asDouble()).isGreaterThanOrEqualTo(out.path("p50Millis").asDouble());
        assertThat(out.path("firstIdlePassPerSecond").asDouble()).isPositive();
        assertThat(out.path("lookupsFromCacheShare").asDouble()).as("steady state: every device is cached")
                .isGreaterThan(0.95);
    }

    @Test
    void onPostgresTheIdleCheckInsAreAnsweredFromTheCache() {
        JsonNode out = bench("--postgres-embedded");
        assertThat(out.path("database").asText()).isEqualTo("postgresql");
        assertThat(out.path("checkinsPerSecond").asDouble()).isPositive();
        assertThat(out.path("lookupsFromCacheShare").asDouble()).as("steady state: every device is cached")
                .isGreaterThan(0.95);
    }
}
