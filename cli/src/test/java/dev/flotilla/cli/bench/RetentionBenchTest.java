package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RetentionBenchTest {
    /** A small {@code bench retention} run; its JSON output (the run itself fails unless exactly the old events went). */
    private static JsonNode bench(Object... extra) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CliRun run;
        List<Object> args = new ArrayList<>(List.of("bench", "retention", "--devices", 200, "--events", 12_000,
                "--recent", 500, "--clients", 4, "--millis", 300, "--rounds", 1));
        args.addAll(List.of(extra));
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            run = CliRun.of(args.toArray());
        } finally {
            System.setOut(old);
        }
        assertThat(run.exitCode()).as(run.err()).isZero();
        return CanonicalJson.parse(buf.toString(StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
    }

    private static void check(JsonNode out) {
        assertThat(out.path("oldEvents").asInt()).isEqualTo(12_000);
        assertThat(out.path("batches").asInt()).as("5,000 a batch").isEqualTo(3);
        for (String f : new String[] {"deletedPerSecond", "loadPerSecondBefore", "loadPerSecondDuring",
                "p99MillisBefore", "p99MillisDuring"}) {
            assertThat(out.path(f).asDouble()).as(f).isPositive();
        }
    }

    @Test
    void aSmallRunOnH2DeletesTheOldEventsAndPrintsTheJsonFields() {
        JsonNode out = bench();
        assertThat(out.path("database").asText()).isEqualTo("h2");
        check(out);
    }

    @Test
    void aSmallRunOnPostgres() {
        JsonNode out = bench("--postgres-embedded");
        assertThat(out.path("database").asText()).isEqualTo("postgresql");
        check(out);
    }

    @Test
    void badCountsAreOneLine() {
        CliRun run = CliRun.of("bench", "retention", "--devices", 0);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: --devices, --clients and --rounds must be at least 1,"
                + " --events and --recent at least 0");
    }
}
