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

class DashboardBenchTest {
    @Test
    void aSmallRunTimesTheRealPagesAndPrintsSaneJson() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CliRun run;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            run = CliRun.of("bench", "dashboard", "--devices", 200, "--events-per-device", 3, "--requests", 4,
                    "--rounds", 2, "--clients", 2, "--no-progress");
        } finally {
            System.setOut(old);
        }
        // every timed answer was checked for 200 and the page's own content: a failure ends the run non-zero
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode out = CanonicalJson.mapper().valueToTree(CanonicalJson.parse(buf.toString(StandardCharsets.UTF_8)
                .strip().getBytes(StandardCharsets.UTF_8)));

        assertThat(out.path("devices").asInt()).isEqualTo(200);
        assertThat(out.path("database").asText()).isEqualTo("h2");
        assertThat(out.path("historyEvents").asLong()).isEqualTo(600);
        assertThat(out.path("firstStageReports").asInt()).isEqualTo(2);
        assertThat(out.path("noop").path("requests").asInt()).isEqualTo(8);
        assertThat(out.path("noop").path("p50Millis").asDouble()).isPositive();
        assertThat(out.path("pages").size()).isEqualTo(5);
        assertThat(DashboardBench.prefixed(200)).isEqualTo(1); // dev_bench_123 only
        assertThat(DashboardBench.prefixed(100_000)).isEqualTo(111); // and 1230-1239, 12300-12399
        for (String page : new String[] {"fleet", "deviceSearch", "idSearch", "securitySearch", "rollout"}) {
            JsonNode p = out.path("pages").path(page);
            assertThat(p.path("requests").asInt()).as(page).isEqualTo(8);
            double p50 = p.path("p50Millis").asDouble();
            double p95 = p.path("p95Millis").asDouble();
            assertThat(p50).as(page).isPositive().isLessThanOrEqualTo(p95);
            assertThat(p95).as(page).isLessThanOrEqualTo(p.path("maxMillis").asDouble());
            assertThat(p.path("p95OverNoop").asDouble()).as(page)
                    .isCloseTo(p95 / out.path("noop").path("p95Millis").asDouble(), within(0.02));
            assertThat(p.path("p95Under300Millis").asBoolean()).as(page).isEqualTo(p95 < 300);
            // the server's own time (its Server-Timing header) is part of each request the client timed
            double serverP50 = p.path("serverP50Millis").asDouble();
            double serverP95 = p.path("serverP95Millis").asDouble();
            assertThat(serverP50).as(page).isPositive().isLessThanOrEqualTo(serverP95).isLessThanOrEqualTo(p50);
            assertThat(serverP95).as(page).isLessThanOrEqualTo(p95);
        }
    }

    @Test
    void signingInWithABadTokenIsRefused() throws Exception {
        dev.flotilla.server.Server server = dev.flotilla.server.Server.start(dev.flotilla.server.ServerConfig
                .defaults().withDataDir(java.nio.file.Files.createTempDirectory("dash-bench").resolve("data"))
                .withPort(0).withHost("127.0.0.1"));
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            assertThat(DashboardBench.signIn(http, server.uri(), server.initialAdminToken().orElseThrow()))
                    .startsWith("flotilla_session=fls_");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DashboardBench.signIn(http, server.uri(),
                    "flt_not-a-token")).hasMessageContaining("answered 401");
        } finally {
            server.stop();
        }
    }
}
