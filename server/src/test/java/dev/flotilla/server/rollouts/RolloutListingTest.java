package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reading rollouts: the list filtered by state, a rollout's devices page by page and by state, and the numbers
 * an operator action answers with. Real HTTP, H2 and PostgreSQL.
 */
class RolloutListingTest extends FleetTest {
    private Http.Response get(String path) {
        return fleet.srv.http.get(path, fleet.admin);
    }

    private List<String> ids(JsonNode page, String field) {
        List<String> out = new ArrayList<>();
        page.path("items").forEach(i -> out.add(i.path(field).asText()));
        return out;
    }

    @StoreTest
    void theListFiltersByStateAndRefusesAnUnknownState(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.devices(2, "board-a");
        String created = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).json().path("id").asText();
        fleet.act(created, "abort");
        String active = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();

        assertThat(ids(get("/api/v1/rollouts?state=active").json(), "id")).containsExactly(active);
        assertThat(ids(get("/api/v1/rollouts?state=aborted").json(), "id")).containsExactly(created);
        assertThat(ids(get("/api/v1/rollouts?state=halted").json(), "id")).isEmpty();
        assertThat(ids(get("/api/v1/rollouts").json(), "id")).containsExactly(active, created);
        Http.Response bad = get("/api/v1/rollouts?state=running");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("message").asText()).contains("state must be one of").contains("'running'");
    }

    @StoreTest
    void aRolloutsDevicesArePagedByIdAndFilteredByState(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(5, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}], 'soakSeconds': 0}"))).path("id").asText();
        fleet.commit(devices.get(0), id);
        fleet.report(devices.get(1), id, "failed", Map.of("reason", "E_FLASH"));
        fleet.tick(id, Duration.ofSeconds(2));

        List<String> all = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = get("/api/v1/rollouts/" + id + "/devices?limit=2" + (after == null ? "" : "&after=" + after))
                    .json();
            assertThat(page.path("items").size()).isLessThanOrEqualTo(2);
            all.addAll(ids(page, "deviceId"));
            after = page.path("nextAfter").isTextual() ? page.path("nextAfter").asText() : null;
            pages++;
        } while (after != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(all).hasSize(5).isSorted()
                .containsExactlyInAnyOrderElementsOf(devices.stream().map(TestDevice::id).toList());

        JsonNode failed = get("/api/v1/rollouts/" + id + "/devices?state=failed").json();
        assertThat(failed.path("items")).singleElement().satisfies(row -> {
            assertThat(row.path("deviceId").asText()).isEqualTo(devices.get(1).id());
            assertThat(row.path("stage").asInt()).isZero();
            assertThat(row.path("state").asText()).isEqualTo("failed");
            assertThat(row.path("reason").asText()).isEqualTo("E_FLASH");
            assertThat(row.path("updatedAt").asText()).isEqualTo(java.time.Instant.ofEpochMilli(fleet.clock.millis() - 2000).toString());
        });
        assertThat(failed.has("nextAfter")).isTrue();
        assertThat(failed.path("nextAfter").isNull()).isTrue();
        assertThat(ids(get("/api/v1/rollouts/" + id + "/devices?state=pending").json(), "deviceId")).hasSize(3);
        assertThat(ids(get("/api/v1/rollouts/" + id + "/devices?state=committed").json(), "deviceId"))
                .containsExactly(devices.get(0).id());

        assertThat(get("/api/v1/rollouts/" + id + "/devices?state=assigned").status()).isEqualTo(400);
        assertThat(get("/api/v1/rollouts/" + id + "/devices?limit=0").status()).isEqualTo(400);
        assertThat(get("/api/v1/rollouts/" + id + "/devices?limit=x").status()).isEqualTo(400);
        assertThat(get("/api/v1/rollouts/" + id + "/devices?offset=2").status()).isEqualTo(400);
        assertThat(get("/api/v1/rollouts/rol_nope/devices").status()).isEqualTo(404);
    }

    @StoreTest
    void anActionAnswersWithTheNumbersItWasAuditedWith(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(2, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}"),
                "policies", Map.of("retryBackoffSeconds", 0))).path("id").asText();
        fleet.report(devices.get(0), id, "rolled_back", Map.of("reason", "BOOT_FAILED"));
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("halted");

        JsonNode resumed = fleet.act(id, "resume");

        JsonNode acted = resumed.path("acted");
        assertThat(acted.path("action").asText()).isEqualTo("resume");
        assertThat(acted.path("before").path("state").asText()).isEqualTo("halted");
        assertThat(acted.path("after").path("state").asText()).isEqualTo("active");
        assertThat(acted.path("after").path("acknowledged").asInt()).isEqualTo(1);
        assertThat(acted.path("after").path("admitted").asInt()).as("the withdrawn device, admitted again").isEqualTo(1);
        JsonNode audited = fleet.audit("rollout.resume").get(0);
        assertThat(audited.path("after")).isEqualTo(acted.path("after"));
        assertThat(audited.path("before")).isEqualTo(acted.path("before"));
        JsonNode retried = fleet.act(id, "retry").path("acted").path("after");
        assertThat(retried.path("retried").asInt()).isEqualTo(1);
        assertThat(retried.path("exhausted").asInt()).isZero();
        assertThat(retried.path("waiting").asInt()).isZero();
        assertThat(fleet.get(id).has("acted")).as("only in an action's answer").isFalse();
    }
}
