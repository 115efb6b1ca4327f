package dev.flotilla.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RolloutBenchTest {
    @Test
    void aSmallRunPrintsSaneJson() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CliRun run;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            run = CliRun.of("bench", "rollout", "--devices", 400, "--clients", 4, "--millis", 300, "--rounds", 1,
                    "--no-progress");
        } finally {
            System.setOut(old);
        }
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode out = CanonicalJson.mapper().valueToTree(CanonicalJson.parse(buf.toString(StandardCharsets.UTF_8)
                .strip().getBytes(StandardCharsets.UTF_8)));

        assertThat(out.path("devices").asInt()).isEqualTo(400);
        assertThat(out.path("database").asText()).isEqualTo("h2");
        assertThat(out.path("stageSizes").toString()).isEqualTo("[4,40,200,400]");
        assertThat(out.path("firstStageReports").asInt()).isEqualTo(4);
        assertThat(out.path("rolloutState").asText()).as("2% failed: the 5% gate holds").isEqualTo("active");
        for (String f : new String[] {"cohortMillis", "fullRankMillis", "gateEvaluationMillis", "createMillis"}) {
            assertThat(out.path(f).isIntegralNumber()).as(f).isTrue();
            assertThat(out.path(f).asLong()).as(f).isNotNegative();
        }
        assertThat(out.path("gateEvaluationSamplesMillis").size()).isEqualTo(3);
        assertThat(out.path("cohortSamplesMillis").size()).isEqualTo(3);
        assertThat(out.path("fullRankSamplesMillis").size()).isEqualTo(3);
        assertThat(out.path("checkinsPerSecondWithoutRollout").asDouble()).isPositive();
        assertThat(out.path("checkinsPerSecondDuringRollout").asDouble()).isPositive();
        assertThat(out.path("checkinRatioDuringRollout").asDouble()).isPositive()
                .isCloseTo(out.path("checkinsPerSecondDuringRollout").asDouble()
                        / out.path("checkinsPerSecondWithoutRollout").asDouble(), within(0.02));
        assertThat(out.path("gates").get(0).path("gate").asText()).isEqualTo("failureRate");
        assertThat(out.path("gates").get(0).path("sample").asInt()).isEqualTo(4);
    }

    /**
     * Devices past {@code --checkin-devices} get no key pair (a random public value, an unsigned manifest): they
     * are still selected, ranked, admitted and report their installs (the first stage is drawn from all 400).
     */
    @Test
    void devicesThatNeverCheckInNeedNoKeys() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CliRun run;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            run = CliRun.of("bench", "rollout", "--devices", 400, "--checkin-devices", 40, "--clients", 4,
                    "--millis", 300, "--rounds", 1, "--no-progress");
        } finally {
            System.setOut(old);
        }
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode out = CanonicalJson.mapper().valueToTree(CanonicalJson.parse(buf.toString(StandardCharsets.UTF_8)
                .strip().getBytes(StandardCharsets.UTF_8)));

        assertThat(out.path("checkinDevices").asInt()).isEqualTo(40);
        assertThat(out.path("stageSizes").toString()).isEqualTo("[4,40,200,400]");
        assertThat(out.path("firstStageReports").asInt()).isEqualTo(4);
        assertThat(out.path("gates").get(0).path("sample").asInt()).isEqualTo(4);
        assertThat(out.path("rolloutState").asText()).isEqualTo("active");
        assertThat(out.path("checkinsPerSecondDuringRollout").asDouble()).isPositive();
    }
}
