package dev.flotilla.server.rollouts;

import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollouts' Prometheus metrics, scraped from {@code /metrics} over real HTTP as a rollout starts, halts and
 * is aborted: rollouts by state, each rollout in progress's stage and funnel, halts by gate; no device label.
 * H2 and PostgreSQL.
 */
class RolloutMetricsTest extends FleetTest {
    private List<String> scrape() {
        Http.Response r = fleet.srv.http.get("/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        return Arrays.stream(r.text().split("\n")).filter(l -> !l.startsWith("#")).toList();
    }

    /** The value of the one sample of {@code name} whose labels include all of {@code labels}; null when none. */
    private static Double value(List<String> lines, String name, String... labels) {
        List<String> found = lines.stream().filter(l -> l.startsWith(name + "{"))
                .filter(l -> Arrays.stream(labels).allMatch(l::contains)).toList();
        assertThat(found.size()).as(name + " " + Arrays.toString(labels)).isLessThanOrEqualTo(1);
        return found.isEmpty() ? null : Double.parseDouble(found.get(0).substring(found.get(0).lastIndexOf(' ') + 1));
    }

    @StoreTest
    void aScrapeShowsRolloutsByStateTheFunnelOfThoseInProgressAndHaltsByGate(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(3, "board-a");
        List<String> before = scrape();
        assertThat(value(before, "flotilla_rollouts", "kind=\"rollout\"", "state=\"active\"")).isZero();
        assertThat(value(before, "flotilla_rollout_halts_total", "gate=\"failureRate\"")).isZero();
        assertThat(value(before, "flotilla_rollout_halts_total", "gate=\"timeoutRate\"")).isZero();
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}")))
                .path("id").asText();
        String rollout = "rollout=\"" + id + "\"";

        List<String> started = scrape();

        assertThat(value(started, "flotilla_rollouts", "kind=\"rollout\"", "state=\"active\"")).isEqualTo(1);
        assertThat(value(started, "flotilla_rollouts", "kind=\"deployment\"", "state=\"active\"")).isZero();
        assertThat(value(started, "flotilla_rollout_stage", rollout)).isZero();
        assertThat(value(started, "flotilla_rollout_devices", rollout, "state=\"pending\"")).isEqualTo(3);
        assertThat(value(started, "flotilla_rollout_devices", rollout, "state=\"committed\"")).isZero();

        fleet.report(devices.get(0), id, "download_started", Map.of());
        fleet.report(devices.get(1), id, "failed", Map.of("reason", "E_FLASH"));
        fleet.tick(id, Duration.ofSeconds(2));
        List<String> halted = scrape();

        assertThat(value(halted, "flotilla_rollouts", "kind=\"rollout\"", "state=\"active\"")).isZero();
        assertThat(value(halted, "flotilla_rollouts", "kind=\"rollout\"", "state=\"halted\"")).isEqualTo(1);
        assertThat(value(halted, "flotilla_rollout_halts_total", "gate=\"failureRate\"")).isEqualTo(1);
        assertThat(value(halted, "flotilla_rollout_halts_total", "gate=\"rollbackRate\"")).isZero();
        assertThat(value(halted, "flotilla_rollout_devices", rollout, "state=\"failed\"")).isEqualTo(1);
        assertThat(value(halted, "flotilla_rollout_devices", rollout, "state=\"withdrawn\"")).isEqualTo(2);
        assertThat(value(halted, "flotilla_rollout_devices", rollout, "state=\"pending\"")).isZero();
        String all = String.join("\n", halted);
        devices.forEach(d -> assertThat(all).doesNotContain(d.id()));

        fleet.act(id, "abort");
        List<String> aborted = scrape();
        assertThat(value(aborted, "flotilla_rollouts", "kind=\"rollout\"", "state=\"aborted\"")).isEqualTo(1);
        assertThat(value(aborted, "flotilla_rollout_devices", rollout, "state=\"failed\"")).as("ended: no series")
                .isNull();
        assertThat(value(aborted, "flotilla_rollout_stage", rollout)).isNull();
        assertThat(value(aborted, "flotilla_rollout_halts_total", "gate=\"failureRate\"")).isEqualTo(1);
    }
}
