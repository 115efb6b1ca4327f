package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.devices.EventRetention;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A live rollout does not need its devices' events once they are stored: after the retention deleted them,
 * its funnel is the same and its gate still counts the failure they reported. H2 and PostgreSQL.
 */
class RolloutEventRetentionTest extends FleetTest {
    @StoreTest
    void deletingALiveRolloutsEventsChangesNeitherItsFunnelNorItsGates(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(4, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 2}, {'percent': 100}], 'soakSeconds': 0,"
                        + " 'gates': {'failureRate': {'max': 0.4, 'minDevices': 2}}}"))).path("id").asText();
        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(2);
        fleet.report(first.get(0), id, "failed", Map.of("reason", "E_FLASH"));
        fleet.report(first.get(1), id, "installed", Map.of());
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("active");
        JsonNode funnel = fleet.get(id).path("stages").get(0).path("funnel");
        assertThat(funnel.path("failed").asInt()).isEqualTo(1);
        assertThat(funnel.path("installing").asInt()).isEqualTo(1);

        fleet.clock.advance(Duration.ofDays(91));
        EventRetention.Pass pass = fleet.srv.server.eventRetention().run();

        assertThat(pass.deleted()).as("both devices' events").isEqualTo(2);
        for (TestDevice d : first) {
            assertThat(fleet.srv.http.get("/api/v1/devices/" + d.id() + "/events", fleet.admin).json()
                    .path("items")).isEmpty();
        }
        assertThat(fleet.get(id).path("stages").get(0).path("funnel")).isEqualTo(funnel);
        fleet.report(first.get(1), id, "committed", Map.of());
        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));
        assertThat(halted.path("state").asText()).as("the deleted failure still counts").isEqualTo("halted");
        assertThat(halted.path("halt").path("observed").asDouble()).isEqualTo(0.5);
        assertThat(halted.path("halt").path("sample").asInt()).isEqualTo(2);
        assertThat(halted.path("failures").path("byReason")).hasToString("{\"E_FLASH\":1}");
    }
}
