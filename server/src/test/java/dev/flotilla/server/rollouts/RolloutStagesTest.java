package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stages start one after the other as devices commit and soak; approval and advance; devices that join a
 * dynamic selection get exactly their stage; a static selection is frozen. Real HTTP, H2 and PostgreSQL.
 */
class RolloutStagesTest extends FleetTest {
    private static Set<String> ids(List<TestDevice> devices) {
        Set<String> out = new HashSet<>();
        devices.forEach(d -> out.add(d.id()));
        return out;
    }

    @StoreTest
    void eachStageStartsOnceItsDevicesCommittedAndSoaked(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(10, "board-a");
        JsonNode r = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 1}, {'percent': 50}, {'percent': 100}], 'soakSeconds': 60, 'timeoutSeconds': 3600}")));
        String id = r.path("id").asText();
        assertThat(r.path("state").asText()).isEqualTo("active");
        assertThat(r.path("selected").asInt()).isEqualTo(10);
        assertThat(r.path("stages").findValuesAsText("size")).containsExactly("1", "5", "10");

        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(1);
        assertThat(fleet.get(id).path("stages").get(0).path("funnel").path("pending").asInt()).isEqualTo(1);
        assertThat(fleet.tick(id, Duration.ofSeconds(30)).path("stage").asInt()).as("the device has not committed").isZero();

        fleet.report(first.get(0), id, "download_started", Map.of());
        assertThat(fleet.get(id).path("stages").get(0).path("funnel").path("downloading").asInt()).isEqualTo(1);
        fleet.commit(first.get(0), id);
        assertThat(fleet.tick(id, Duration.ofSeconds(30)).path("stage").asInt()).as("soaking after the commit").isZero();
        JsonNode second = fleet.tick(id, Duration.ofSeconds(31));
        assertThat(second.path("stage").asInt()).isEqualTo(1);
        List<TestDevice> secondCohort = fleet.assigned(devices, id);
        assertThat(secondCohort).hasSize(4).doesNotContain(first.get(0));

        secondCohort.forEach(d -> fleet.commit(d, id));
        assertThat(fleet.tick(id, Duration.ofSeconds(61)).path("stage").asInt()).isEqualTo(2);
        List<TestDevice> last = fleet.assigned(devices, id);
        assertThat(last).hasSize(5);
        Set<String> all = ids(first);
        all.addAll(ids(secondCohort));
        all.addAll(ids(last));
        assertThat(all).isEqualTo(ids(devices));
        JsonNode done = fleet.get(id);
        assertThat(done.path("stages").get(1).path("status").asText()).isEqualTo("done");
        assertThat(done.path("stages").get(1).path("funnel").path("committed").asInt()).isEqualTo(4);
        assertThat(fleet.audit("rollout.stage")).extracting(e -> e.path("after").path("stage").asInt())
                .containsExactlyInAnyOrder(1, 2);
        assertThat(fleet.audit("rollout.stage")).filteredOn(e -> e.path("after").path("stage").asInt() == 2)
                .singleElement().satisfies(e -> assertThat(e.path("after").path("counts").path("committed").asInt())
                        .isEqualTo(5));
    }

    @StoreTest
    void aStageThatAsksForApprovalWaitsForIt(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(3, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 1}, {'percent': 100, 'approval': true}], 'soakSeconds': 0}"))).path("id").asText();
        fleet.assigned(devices, id).forEach(d -> fleet.commit(d, id));
        JsonNode waiting = fleet.tick(id, Duration.ofSeconds(5));
        assertThat(waiting.path("stage").asInt()).isZero();
        assertThat(waiting.path("awaitingApproval").asInt()).isEqualTo(1);
        assertThat(waiting.path("stages").get(0).path("approval").asBoolean()).isFalse();
        assertThat(waiting.path("stages").get(0).has("approved")).as("none needed").isFalse();
        assertThat(waiting.path("stages").get(1).path("approval").asBoolean()).isTrue();
        assertThat(waiting.path("stages").get(1).path("approved").asBoolean()).isFalse();

        JsonNode approved = fleet.act(id, "approve");
        assertThat(approved.path("stages").get(1).path("approved").asBoolean()).isTrue();
        assertThat(approved.path("acted").path("action").asText()).isEqualTo("approve");
        assertThat(approved.path("acted").path("after").path("approvedStage").asInt()).isEqualTo(1);
        JsonNode next = fleet.tick(id, Duration.ofSeconds(1));
        assertThat(next.path("stage").asInt()).isEqualTo(1);
        assertThat(next.has("awaitingApproval")).isFalse();
        assertThat(fleet.assigned(devices, id)).hasSize(2);
        assertThat(fleet.audit("rollout.approve")).hasSize(1);
    }

    @StoreTest
    void advanceStartsTheNextStageWithoutWaitingForTheSoak(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(4, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 1}, {'percent': 100}], 'soakSeconds': 86400}"))).path("id").asText();
        fleet.assigned(devices, id).forEach(d -> fleet.commit(d, id));
        assertThat(fleet.tick(id, Duration.ofHours(1)).path("stage").asInt()).isZero();

        JsonNode advanced = fleet.act(id, "advance");

        assertThat(advanced.path("stage").asInt()).isEqualTo(1);
        assertThat(fleet.assigned(devices, id)).hasSize(3);
        JsonNode audit = fleet.audit("rollout.advance").get(0);
        assertThat(audit.path("after").path("admitted").asInt()).isEqualTo(3);
        assertThat(audit.path("before").path("stage").asInt()).isZero();
        assertThat(fleet.post("/api/v1/rollouts/" + id + "/advance", Map.of()).code()).isEqualTo("no_next_stage");
    }

    @StoreTest
    void aDeviceThatJoinsADynamicSelectionGetsExactlyItsStage(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> lab = fleet.devices(4, "board-a");
        lab.forEach(d -> fleet.setGroup(d, "lab"));
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("groups", List.of("lab")),
                "plan", Fleet.plan("{'stages': [{'percent': 50}, {'percent': 100}], 'soakSeconds': 0}"))).path("id").asText();
        assertThat(fleet.assigned(lab, id)).hasSize(2);
        List<TestDevice> members = new ArrayList<>(lab);
        Set<String> admitted = ids(fleet.assigned(lab, id));
        int waited = 0;
        // cohorts hash the (random) rollout id: joiners keep coming until some had to wait for a later stage
        for (TestDevice joiner : fleet.devices(30, "board-a")) {
            if (waited >= 2 && members.size() >= 10) {
                break;
            }
            fleet.setGroup(joiner, "lab");
            members.add(joiner);
            fleet.tick(id, Duration.ofSeconds(30)); // joiners are looked for every 30 s
            // admitted: those admitted before (they stay) and the stage-0 cohort of the members now
            Set<String> expected = new HashSet<>(admitted);
            expected.addAll(Cohorts.cohort(id, ids(members), fleet.srv.server.rollouts().get(id).plan(), 0));
            assertThat(ids(fleet.assigned(members, id))).as("admitted exactly the current stage").isEqualTo(expected);
            if (!expected.contains(joiner.id())) {
                waited++;
            }
            admitted = expected;
        }
        assertThat(waited).as("some joiners waited for a later stage").isPositive();
        fleet.assigned(members, id).forEach(d -> fleet.commit(d, id));
        assertThat(fleet.tick(id, Duration.ofSeconds(1)).path("stage").asInt()).isEqualTo(1);
        assertThat(fleet.get(id).path("stages").get(1).path("funnel").path("pending").asInt())
                .isEqualTo(members.size() - admitted.size());
    }

    @StoreTest
    void aStaticSelectionIsFrozenWhenTheRolloutStarts(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> lab = fleet.devices(2, "board-a");
        lab.forEach(d -> fleet.setGroup(d, "lab"));
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("groups", List.of("lab"),
                "mode", "static"), "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();
        TestDevice late = fleet.devices(1, "board-a").get(0);
        fleet.setGroup(late, "lab");
        fleet.setGroup(lab.get(0), "elsewhere"); // a frozen member that no longer matches stays in
        JsonNode r = fleet.tick(id, Duration.ofSeconds(5));
        assertThat(r.path("selected").asInt()).isEqualTo(2);
        assertThat(fleet.assignment(late).isNull()).isTrue();
        assertThat(fleet.assigned(lab, id)).hasSize(2);
    }

    @StoreTest
    void aRolloutWithAStartTimeAdmitsNobodyBeforeIt(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(2, "board-a");
        String startAt = fleet.clock.instant().plus(Duration.ofHours(1)).toString();
        JsonNode r = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan",
                Fleet.plan("{'stages': [{'percent': 100}]}"), "policies", Map.of("startAt", startAt)));
        String id = r.path("id").asText();
        assertThat(r.path("policies").path("startAt").asText()).isEqualTo(startAt);
        assertThat(fleet.tick(id, Duration.ofMinutes(59)).has("stageStartedAt")).isFalse();
        assertThat(fleet.assigned(devices, id)).isEmpty();

        assertThat(fleet.tick(id, Duration.ofMinutes(2)).has("stageStartedAt")).isTrue();
        assertThat(fleet.assigned(devices, id)).hasSize(2);
        // the default selection is dynamic: the stage's entry says its positions are being filled, and the fill's
        // entry says how many it admitted
        assertThat(fleet.audit("rollout.stage")).singleElement().satisfies(e -> {
            assertThat(e.path("after").path("positions").asText()).isEqualTo("filling");
            assertThat(e.path("after").has("admitted")).isFalse();
        });
        assertThat(fleet.audit("rollout.positions")).singleElement()
                .satisfies(e -> assertThat(e.path("after").path("admitted").asInt()).isEqualTo(2));
    }

    @StoreTest
    void aRestartedServerContinuesTheRollout(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(3, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 1}, {'percent': 100}], 'soakSeconds': 60}"))).path("id").asText();
        fleet.assigned(devices, id).forEach(d -> fleet.commit(d, id));

        fleet.restart();

        assertThat(fleet.tick(id, Duration.ofSeconds(61)).path("stage").asInt()).isEqualTo(1);
        assertThat(fleet.assigned(devices, id)).hasSize(2);
    }

    @StoreTest
    void aDecommissionedDeviceDoesNotHoldUpTheNextStage(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(3, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 1}, {'percent': 100}], 'soakSeconds': 0}"))).path("id").asText();
        TestDevice first = fleet.assigned(devices, id).get(0);
        assertThat(fleet.tick(id, Duration.ofHours(1)).path("stage").asInt()).as("no timeout: it waits").isZero();

        assertThat(fleet.post("/api/v1/devices/" + first.id() + "/decommission", Map.of()).status()).isEqualTo(200);

        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("stage").asInt()).isEqualTo(1);
    }
}
