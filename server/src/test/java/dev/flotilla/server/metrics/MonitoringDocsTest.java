package dev.flotilla.server.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.TestDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet and rollout gauges on a real server, and the monitoring examples in docs/ (the Grafana dashboard
 * and the Prometheus alerting rules) naming only metrics that a scrape of that server has.
 */
class MonitoringDocsTest {
    private static final Path DOCS = Path.of("..", "docs");
    private static final Pattern METRIC = Pattern.compile(
            "\\b((?:flotilla|http_server|hikaricp|jvm|process|system)_[a-z0-9_]+)");
    @TempDir
    Path dir;

    @Test
    void theGaugesCountTheFleetAndItsRolloutsAndTheDocsNameOnlyMetricsThatExist() throws IOException {
        try (Fleet fleet = new Fleet(BothDatabases.h2(), dir)) {
            String scrape = scrapeWithAHaltedRollout(fleet, 3);
            assertThat(scrape).contains("flotilla_rollouts{kind=\"rollout\",state=\"halted\"} 1.0")
                    .contains("flotilla_rollouts{kind=\"rollout\",state=\"active\"} 0.0")
                    .contains("flotilla_devices{state=\"online\"} 3.0")
                    .contains("flotilla_devices{state=\"offline\"} 0.0")
                    .contains("flotilla_devices{state=\"decommissioned\"} 0.0");

            Set<String> named = new TreeSet<>();
            for (String expr : dashboardExpressions()) {
                named.addAll(metrics(expr));
            }
            assertThat(named).as("the dashboard's metrics").contains("flotilla_rollouts", "flotilla_checkins_total");
            Set<String> alerting = metrics(Files.readString(DOCS.resolve("alerts.yml")));
            assertThat(alerting).as("the alerts' metrics").contains("flotilla_rollouts", "flotilla_devices",
                    "flotilla_checkins_total");
            named.addAll(alerting);
            for (String metric : named) {
                assertThat(scrape).as("a scrape has " + metric).containsPattern("(?m)^" + metric + "[{ ]");
            }
        }
    }

    /**
     * A scrape of {@code fleet}'s server after {@code devices} devices of board-a got a rollout that one failure
     * halted, and an operator listed the devices.
     */
    static String scrapeWithAHaltedRollout(Fleet fleet, int devices) {
        List<TestDevice> board = fleet.devices(devices, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0.1, 'minDevices': 1}}}")))
                .path("id").asText();
        fleet.report(fleet.assigned(board, id).getFirst(), id, "failed", Map.of("reason", "E_FLASH"));
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("halted");
        fleet.srv.http.get("/api/v1/devices", fleet.admin);
        return fleet.srv.http.get("/metrics", null).text();
    }

    private static List<String> dashboardExpressions() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DOCS.resolve("grafana-dashboard.json").toFile());
        List<String> out = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("targets").isEmpty()).as(panel.path("title").asText()).isFalse();
            panel.path("targets").forEach(t -> out.add(t.path("expr").asText()));
        }
        assertThat(out).hasSizeGreaterThan(10).allSatisfy(e -> assertThat(e).isNotBlank());
        return out;
    }

    private static Set<String> metrics(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
