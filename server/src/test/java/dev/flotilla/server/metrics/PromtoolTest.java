package dev.flotilla.server.metrics;

import dev.flotilla.core.testing.RequiredTools;
import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.BothDatabases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prometheus' own tool over what Flotilla gives operators: {@code promtool check metrics} finds no naming or
 * format problem in a scrape of a real server with a fleet and a halted rollout, and the alerting rules in
 * docs/ load ({@code check rules}) and pass their unit tests ({@code test rules docs/alerts-test.yml}).
 */
class PromtoolTest {
    private static final Path DOCS = Path.of("..", "docs").toAbsolutePath().normalize();
    @TempDir
    Path dir;

    @BeforeAll
    static void promtoolInstalled() {
        RequiredTools.assumeInstalled(onPath("promtool"), "skipping: 'promtool' is not on the PATH (Debian's "
                + "prometheus package)");
    }

    @Test
    void aScrapeOfARealServerPassesPromtoolsMetricsLint() throws Exception {
        try (Fleet fleet = new Fleet(BothDatabases.h2(), dir)) {
            fleet.srv.http.get("/no/such/path", fleet.admin);
            String scrape = MonitoringDocsTest.scrapeWithAHaltedRollout(fleet, 2);
            assertThat(scrape).contains("process_cpu_seconds_total", "system_cpus ", "hikaricp_connections_pending",
                    "http_server_requests_seconds_count", "flotilla_rollouts{");
            Path file = dir.resolve("scrape.txt");
            Files.writeString(file, scrape);
            Run lint = promtool(file, "check", "metrics");
            assertThat(lint.output()).as("promtool's findings").isEmpty();
            assertThat(lint.exit()).isZero();
        }
    }

    @Test
    void theAlertingRulesLoadAndPassTheirUnitTests() throws Exception {
        Run check = promtool(null, "check", "rules", DOCS.resolve("alerts.yml").toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 7 rules found");
        Run test = promtool(null, "test", "rules", DOCS.resolve("alerts-test.yml").toString());
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    @Test
    void aRuleThatNoLongerFiresAsItsTestSaysFailsTheUnitTests() throws Exception {
        Files.writeString(dir.resolve("alerts.yml"), Files.readString(DOCS.resolve("alerts.yml"))
                .replace("> 0.2\n", "> 0.3\n"));
        Files.copy(DOCS.resolve("alerts-test.yml"), dir.resolve("alerts-test.yml"));
        Run test = promtool(null, "test", "rules", dir.resolve("alerts-test.yml").toString());
        assertThat(test.exit()).isNotZero();
        assertThat(test.output()).contains("FAILED", "FlotillaDevicesSilent");
    }

    private record Run(int exit, String output) {
    }

    private Run promtool(Path stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile());
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out.trim());
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
