package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollout API: validation before anything is stored, the preview, each selection filter, conflicting
 * rollouts, and deployments as one-stage rollouts. Real HTTP, H2 and PostgreSQL.
 */
class RolloutApiTest extends FleetTest {
    private int rollouts() {
        return fleet.srv.http.get("/api/v1/rollouts", fleet.srv.adminToken).json().path("items").size();
    }

    private int selected(Map<String, Object> selection) {
        Http.Response r = fleet.post("/api/v1/rollouts/preview", Map.of("target", "fw-2.0.bin", "selection", selection));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json().path("selected").asInt();
    }

    @StoreTest
    void invalidRequestsAreRefusedWithTheFieldAndStoreNothing(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.devices(1, "board-a");
        Map<String, Http.Response> refused = Map.of(
                "plan.stages", fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                        "plan", Map.of("stages", List.of()))),
                "plan.gates.failureRate.max", fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin",
                        "selection", Map.of(), "plan", Fleet.plan("{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 2}}}"))),
                "unknown_target", fleet.post("/api/v1/rollouts", Map.of("target", "fw-9.bin", "selection", Map.of())),
                "selection.hardwareId", fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin",
                        "selection", Map.of("hardwareId", "board-b"))),
                "request.tags", fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                        "tags", List.of("x"))));
        refused.forEach((field, r) -> {
            assertThat(r.status()).as(field + ": " + r.text()).isEqualTo(400);
            assertThat(r.json().path("message").asText() + r.code()).contains(field);
            assertThat(r.text()).doesNotContain("Exception");
        });
        assertThat(rollouts()).isZero();
    }

    @StoreTest
    void thePreviewShowsTheCohortSizesForTheCurrentSelection(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.devices(10, "board-a");
        Http.Response r = fleet.post("/api/v1/rollouts/preview", Map.of("target", "fw-2.0.bin", "selection", Map.of()));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().path("selected").asInt()).isEqualTo(10);
        assertThat(r.json().path("stageSizes").toString()).isEqualTo("[1,1,5,10]");
        assertThat(rollouts()).as("a dry run").isZero();
    }

    @StoreTest
    void eachSelectionFilterNarrowsTheDevices(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> a = fleet.devices(5, "board-a");
        fleet.devices(2, "board-b"); // the release does not run on them: never selected
        fleet.setGroup(a.get(0), "lab");
        fleet.setGroup(a.get(1), "lab");
        fleet.setTags(a.get(1), "beta");
        fleet.setTags(a.get(2), "beta", "eu");
        fleet.checkIn(a.get(3), "fw-1.5.bin", "1.5.0", 0, "ok");
        fleet.checkIn(a.get(4), "fw-2.0.bin", "2.0.0", 0, "ok");
        String serial = "SN-" + a.get(2).keyId().substring(0, 8); // the attribute TestDevice enrolls with

        assertThat(selected(Map.of())).isEqualTo(5);
        assertThat(selected(Map.of("hardwareId", "board-a"))).isEqualTo(5);
        assertThat(selected(Map.of("groups", List.of("lab")))).isEqualTo(2);
        assertThat(selected(Map.of("tags", List.of("beta")))).isEqualTo(2);
        assertThat(selected(Map.of("tags", List.of("eu", "nowhere")))).isEqualTo(1);
        assertThat(selected(Map.of("groups", List.of("lab"), "tags", List.of("beta")))).isEqualTo(1);
        assertThat(selected(Map.of("devices", List.of(a.get(0).id(), a.get(4).id())))).isEqualTo(2);
        assertThat(selected(Map.of("installedVersion", Map.of("below", "2.0.0")))).isEqualTo(4);
        assertThat(selected(Map.of("installedVersion", Map.of("atLeast", "1.5.0", "below", "2.0.0")))).isEqualTo(1);
        assertThat(selected(Map.of("attributes", Map.of("serial", serial)))).isEqualTo(1);
        assertThat(selected(Map.of("attributes", Map.of("serial", "nobody")))).isZero();
    }

    @StoreTest
    void aHardwareIdSelectsOnlyTheDevicesOfThatHardwareAmongThoseTheReleaseRunsOn(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.publish("fw-3.0.bin", "3.0.0", List.of("board-a", "board-b"));
        List<TestDevice> a = fleet.devices(3, "board-a");
        List<TestDevice> b = fleet.devices(2, "board-b");
        fleet.devices(1, "board-c"); // the release does not run on it
        Map<String, Object> boardB = Map.of("hardwareId", "board-b");
        Http.Response all = fleet.post("/api/v1/rollouts/preview", Map.of("target", "fw-3.0.bin", "selection", Map.of()));
        Http.Response onlyB = fleet.post("/api/v1/rollouts/preview", Map.of("target", "fw-3.0.bin", "selection", boardB));
        assertThat(all.json().path("selected").asInt()).as(all.text()).isEqualTo(5);
        assertThat(onlyB.json().path("selected").asInt()).as(onlyB.text()).isEqualTo(2);

        String id = fleet.start(Map.of("target", "fw-3.0.bin", "selection", boardB,
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();

        List<TestDevice> both = new java.util.ArrayList<>(a);
        both.addAll(b);
        assertThat(fleet.assigned(both, id)).containsExactlyInAnyOrderElementsOf(b);
        assertThat(fleet.get(id).path("selected").asInt()).isEqualTo(2);
    }

    @StoreTest
    void aRolloutOverlappingAnotherIsRefusedUnlessItSupersedes(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(3, "board-a");
        fleet.setGroup(devices.get(0), "lab");
        fleet.setGroup(devices.get(1), "lab");
        String first = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("groups", List.of("lab")),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();

        Http.Response refused = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of()));

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("rollout_conflict");
        assertThat(refused.json().path("message").asText()).contains("2 of the 3 selected devices").contains(first + ": 2");
        assertThat(rollouts()).isEqualTo(1);

        Http.Response superseding = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"), "supersede", true, "start", true));
        assertThat(superseding.status()).as(superseding.text()).isEqualTo(201);
        String second = superseding.json().path("id").asText();
        assertThat(fleet.assigned(devices, second)).hasSize(3);
        JsonNode old = fleet.get(first);
        assertThat(old.path("stages").get(0).path("funnel").path("superseded").asInt()).isEqualTo(2);
    }

    @StoreTest
    void aDeploymentIsAStartedOneStageRolloutWithoutGates(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(2, "board-a");
        devices.forEach(d -> fleet.setGroup(d, "lab"));
        Http.Response dep = fleet.post("/api/v1/deployments", Map.of("target", "fw-2.0.bin", "group", "lab"));
        assertThat(dep.status()).as(dep.text()).isEqualTo(201);
        String id = dep.json().path("id").asText();
        assertThat(fleet.assignment(devices.get(0)).path("signed").has("soakSeconds")).as("no soak").isFalse();
        fleet.commit(devices.get(0), id);

        JsonNode r = fleet.get(id);

        assertThat(r.path("kind").asText()).isEqualTo("deployment");
        assertThat(r.path("state").asText()).isEqualTo("active");
        assertThat(r.path("selection").path("groups").toString()).isEqualTo("[\"lab\"]");
        assertThat(r.path("plan").path("stages").toString()).isEqualTo("[{\"percent\":100.0}]");
        assertThat(r.path("gates")).isEmpty();
        assertThat(r.path("stages").get(0).path("funnel").path("committed").asInt()).isEqualTo(1);
        assertThat(r.path("stages").get(0).path("funnel").path("pending").asInt()).isEqualTo(1);
        assertThat(fleet.post("/api/v1/rollouts/" + id + "/pause", Map.of()).code()).isEqualTo("invalid_state");
    }

    @StoreTest
    void aReleaseARolloutMayStillAssignIsNotDeleted(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.devices(1, "board-a");
        Http.Response created = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of()));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        var without = fleet.repo.withoutTarget("fw-2.0.bin", fleet.clock.instant()).sign(fleet.repo.targetsKey);

        Http.Response refused = fleet.repo.delete(fleet.srv.http, fleet.admin, "fw-2.0.bin", without);

        assertThat(refused.status()).as(refused.text()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("release_in_use");
        fleet.act(created.json().path("id").asText(), "abort");
        assertThat(fleet.repo.delete(fleet.srv.http, fleet.admin, "fw-2.0.bin", without).status()).isEqualTo(200);
    }
}
