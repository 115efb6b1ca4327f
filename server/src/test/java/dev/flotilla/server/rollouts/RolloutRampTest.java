package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plan with an exponential ramp instead of stages: devices are admitted in rollout order at the ramp's rate,
 * which grows by its factor as devices are notified or succeed, up to its maximum; gates halt it as they halt
 * stages. Real HTTP with a fake clock, H2 and PostgreSQL.
 */
class RolloutRampTest extends FleetTest {
    private static int admitted(JsonNode rollout) {
        int n = 0;
        for (var e : rollout.path("stages").get(0).path("funnel").properties()) {
            n += e.getValue().asInt();
        }
        return n;
    }

    @StoreTest
    void theRampAdmitsAtItsRateWhichGrowsAsDevicesAreNotifiedUpToItsMaximum(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(10, "board-a");
        JsonNode started = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'ramp': {'baseRatePerMinute': 2, 'incrementFactor': 2, 'increaseCriteria': {'notified': 2},"
                        + " 'maximumPerMinute': 8}, 'soakSeconds': 0, 'timeoutSeconds': 3600}")));
        String id = started.path("id").asText();
        assertThat(started.path("plan").has("stages")).isFalse();
        assertThat(started.path("plan").path("ramp").path("baseRatePerMinute").asInt()).isEqualTo(2);
        assertThat(started.path("stages")).hasSize(1);
        assertThat(admitted(started)).as("the first device at once").isEqualTo(1);
        assertThat(started.path("rampRatePerMinute").asDouble()).isEqualTo(2);

        assertThat(admitted(fleet.tick(id, Duration.ofSeconds(20)))).as("2/min: not yet a device due").isEqualTo(1);
        assertThat(admitted(fleet.tick(id, Duration.ofSeconds(10)))).as("30 s at 2/min").isEqualTo(2);
        JsonNode faster = fleet.tick(id, Duration.ofSeconds(15)); // 2 notified: 4/min, 15 s since the last
        assertThat(admitted(faster)).isEqualTo(3);
        assertThat(faster.path("rampRatePerMinute").asDouble()).isEqualTo(4);
        assertThat(admitted(fleet.tick(id, Duration.ofSeconds(30)))).as("30 s at 4/min").isEqualTo(5);
        JsonNode capped = fleet.tick(id, Duration.ofSeconds(30)); // 4 notified: 8/min
        assertThat(admitted(capped)).isEqualTo(9);
        assertThat(capped.path("rampRatePerMinute").asDouble()).as("16/min capped at the maximum").isEqualTo(8);
        assertThat(admitted(fleet.tick(id, Duration.ofSeconds(30)))).as("the last one").isEqualTo(10);
        assertThat(fleet.assigned(devices, id)).hasSize(10);
        // the devices came in rollout order
        List<String> order = fleet.srv.server.jdbi().withHandle(h -> h.createQuery(
                "SELECT device_id FROM rollout_devices WHERE rollout_id = :r ORDER BY admitted_at, device_id")
                .bind("r", id).mapTo(String.class).list());
        List<String> ranked = Cohorts.ranked(id, devices.stream().map(TestDevice::id).toList());
        assertThat(order.subList(0, 3)).isEqualTo(ranked.subList(0, 3)); // one at a time
        assertThat(order.subList(3, 5)).containsExactlyInAnyOrderElementsOf(ranked.subList(3, 5)); // two at once
    }

    @StoreTest
    void aRampGrowingOnSuccessWaitsForCommitsAndAGateHaltsIt(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(8, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'ramp': {'baseRatePerMinute': 1, 'incrementFactor': 3, 'increaseCriteria': {'succeeded': 1}},"
                        + " 'soakSeconds': 0, 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}")))
                .path("id").asText();
        assertThat(admitted(fleet.tick(id, Duration.ofSeconds(40)))).as("1/min without a commit").isEqualTo(1);
        fleet.assigned(devices, id).forEach(d -> fleet.commit(d, id));
        JsonNode after = fleet.tick(id, Duration.ofSeconds(40)); // 1 succeeded: 3/min, 80 s since the first
        assertThat(after.path("rampRatePerMinute").asDouble()).isEqualTo(3);
        assertThat(admitted(after)).isEqualTo(1 + 4);
        TestDevice failing = fleet.assigned(devices, id).stream().findFirst().orElseThrow();
        fleet.report(failing, id, "failed", Map.of("reason", "E_FLASH"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("gate").asText()).isEqualTo("failureRate");
        assertThat(admitted(fleet.tick(id, Duration.ofMinutes(10)))).as("a halted ramp admits nobody").isEqualTo(5);
        fleet.restart();
        assertThat(fleet.get(id).path("plan").path("ramp").path("increaseCriteria").path("succeeded").asInt())
                .as("read back after a restart").isEqualTo(1);
    }
}
