package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.director.AssignmentDecision;
import dev.flotilla.core.director.AssignmentVerifier;
import dev.flotilla.core.director.MaintenanceWindow;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Maintenance windows per device group: signed into the assignments of the group's devices when the rollout
 * sets none, re-signed when the window changes or a device moves group. The window is read from the signed
 * assignment each device gets at check-in, verified against the director key of the trusted root. Real HTTP,
 * H2 and PostgreSQL.
 */
class GroupWindowsTest extends FleetTest {
    private static final Map<String, Object> NIGHT = Map.of("cron", "0 2 * * *", "durationMinutes", 120,
            "zone", "Europe/Berlin");
    private static final Map<String, Object> WEEKEND = Map.of("cron", "30 1 * * 6", "durationMinutes", 90);


    private Http.Response put(String group, Object body) {
        return fleet.srv.http.send("PUT", path(group), fleet.admin, body, Map.of());
    }

    private Http.Response delete(String group) {
        return fleet.srv.http.send("DELETE", path(group), fleet.admin, null, Map.of());
    }

    private Http.Response show(String group) {
        return fleet.srv.http.get(path(group), fleet.admin);
    }

    private static String path(String group) {
        return "/api/v1/groups/" + group + "/maintenance-window";
    }

    /** Starts a rollout of fw-2.0.bin to every device with {@code policies}, and lets it assign them. */
    private String rollout(Map<String, Object> policies) {
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"), "policies", policies)).path("id").asText();
        fleet.tick(id, Duration.ofSeconds(2));
        return id;
    }

    /** The device's assignment at check-in, its director signature verified against the trusted root. */
    private Signed signed(TestDevice d) {
        JsonNode env = fleet.assignment(d);
        AssignmentDecision decision = AssignmentVerifier.verifySigned(env, fleet.repo.root.signed(), d.id(),
                fleet.clock.instant());
        assertThat(decision).as(String.valueOf(decision)).isInstanceOf(AssignmentDecision.Accept.class);
        var a = ((AssignmentDecision.Accept) decision).assignment();
        return new Signed(a.installWindow().orElse(null), a.counter(), a.deploymentId());
    }

    private record Signed(MaintenanceWindow window, long counter, String deploymentId) {
    }

    private static MaintenanceWindow window(String cron, int minutes, String zone) {
        return new MaintenanceWindow(cron, minutes, zone);
    }

    @StoreTest
    void theGroupsWindowIsSignedIntoItsDevicesAssignmentsAndFollowsEveryChange(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(3, "board-a");
        fleet.setGroup(devices.get(0), "lab");
        fleet.setGroup(devices.get(1), "lab");
        fleet.setGroup(devices.get(2), "field");
        Http.Response set = put("lab", NIGHT);
        assertThat(set.status()).as(set.text()).isEqualTo(200);
        assertThat(set.json().path("devices").asInt()).isEqualTo(2);
        String id = rollout(Map.of());

        Signed lab = signed(devices.get(0));
        assertThat(lab.deploymentId()).isEqualTo(id);
        assertThat(lab.window()).isEqualTo(window("0 2 * * *", 120, "Europe/Berlin"));
        assertThat(signed(devices.get(1)).window()).isEqualTo(lab.window());
        assertThat(signed(devices.get(2)).window()).as("another group's device").isNull();

        Http.Response changed = put("lab", WEEKEND);
        assertThat(changed.status()).as(changed.text()).isEqualTo(200);
        assertThat(changed.json().path("resigned").asInt()).isEqualTo(2);
        Signed weekend = signed(devices.get(0));
        assertThat(weekend.window()).as("zone defaults to UTC").isEqualTo(window("30 1 * * 6", 90, "UTC"));
        assertThat(weekend.counter()).isGreaterThan(lab.counter());
        assertThat(show("lab").json().path("maintenanceWindow").path("cron").asText()).isEqualTo("30 1 * * 6");
        assertThat(put("lab", WEEKEND).json().path("resigned").asInt()).as("the same window again").isZero();

        Http.Response cleared = delete("lab");
        assertThat(cleared.status()).as(cleared.text()).isEqualTo(200);
        assertThat(cleared.json().path("resigned").asInt()).isEqualTo(2);
        Signed none = signed(devices.get(0));
        assertThat(none.window()).isNull();
        assertThat(none.counter()).isGreaterThan(weekend.counter());
        assertThat(show("lab").json().path("maintenanceWindow").isNull()).isTrue();

        assertThat(fleet.audit("group.window.set")).hasSize(2).allSatisfy(e ->
                assertThat(e.path("targetId").asText()).isEqualTo("lab"));
        JsonNode clear = fleet.audit("group.window.clear").get(0);
        assertThat(clear.path("before").path("cron").asText()).isEqualTo("30 1 * * 6");
        assertThat(clear.path("after").isNull()).isTrue();
    }

    @StoreTest
    void theRolloutsOwnWindowWinsOverTheGroups(TestDatabase db) {
        fleet = new Fleet(db, dir);
        TestDevice d = fleet.devices(1, "board-a").get(0);
        fleet.setGroup(d, "lab");
        assertThat(put("lab", NIGHT).status()).isEqualTo(200);
        rollout(Map.of("maintenanceWindow", WEEKEND));

        Signed before = signed(d);
        assertThat(before.window()).isEqualTo(window("30 1 * * 6", 90, "UTC"));

        assertThat(put("lab", Map.of("cron", "0 3 * * *", "durationMinutes", 30)).json().path("resigned").asInt())
                .isZero();
        assertThat(delete("lab").json().path("resigned").asInt()).isZero();
        Signed after = signed(d);
        assertThat(after.window()).isEqualTo(before.window());
        assertThat(after.counter()).as("not re-signed").isEqualTo(before.counter());
    }

    @StoreTest
    void aDeviceThatMovesGroupGetsItsNewGroupsWindow(TestDatabase db) {
        fleet = new Fleet(db, dir);
        TestDevice d = fleet.devices(1, "board-a").get(0);
        fleet.setGroup(d, "lab");
        TestDevice other = fleet.devices(1, "board-a").get(0);
        fleet.setGroup(other, "field");
        assertThat(put("lab", NIGHT).status()).isEqualTo(200);
        assertThat(put("field", WEEKEND).status()).isEqualTo(200);
        rollout(Map.of());
        Signed inLab = signed(d);
        assertThat(inLab.window()).isEqualTo(window("0 2 * * *", 120, "Europe/Berlin"));

        fleet.setGroup(d, "field");
        Signed inField = signed(d);
        assertThat(inField.window()).isEqualTo(window("30 1 * * 6", 90, "UTC"));
        assertThat(inField.counter()).isGreaterThan(inLab.counter());

        fleet.setGroup(d, "bench"); // a group without a window
        Signed inBench = signed(d);
        assertThat(inBench.window()).isNull();
        assertThat(inBench.counter()).isGreaterThan(inField.counter());
    }

    @StoreTest
    void invalidWindowsAreRefusedNamingTheFieldAndNothingIsStored(TestDatabase db) {
        fleet = new Fleet(db, dir);
        TestDevice d = fleet.devices(1, "board-a").get(0);
        fleet.setGroup(d, "lab");
        rollout(Map.of());
        long counter = signed(d).counter();
        Map<Object, String> cases = new java.util.LinkedHashMap<>();
        cases.put(Map.of("durationMinutes", 60), "maintenanceWindow.cron is required");
        cases.put(Map.of("cron", "61 2 * * *", "durationMinutes", 60), "maintenanceWindow.cron ");
        cases.put(Map.of("cron", "0 2 * * *"), "maintenanceWindow.durationMinutes is required");
        cases.put(Map.of("cron", "0 2 * * *", "durationMinutes", 0), "maintenanceWindow.durationMinutes ");
        cases.put(Map.of("cron", "0 2 * * *", "durationMinutes", 60, "zone", "Mars/Olympus"), "maintenanceWindow.zone ");
        cases.put(Map.of("cron", "0 2 * * *", "durationMinutes", 60, "start", "now"),
                "maintenanceWindow.start is not a known field");
        cases.forEach((body, message) -> {
            Http.Response r = put("lab", body);
            assertThat(r.status()).as(r.text()).isEqualTo(400);
            assertThat(r.code()).isEqualTo("invalid_window");
            assertThat(r.json().path("message").asText()).as(r.text()).startsWith(message);
        });

        assertThat(put("lab", List.of(NIGHT)).status()).as("not an object").isEqualTo(400);

        assertThat(show("lab").json().path("maintenanceWindow").isNull()).isTrue();
        assertThat(fleet.audit("group.window.set")).isEmpty();
        assertThat(signed(d).counter()).isEqualTo(counter);
    }

    @StoreTest
    void aGroupWindowIsCheckedByTheRulesOfARolloutsWindow(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.setGroup(fleet.devices(1, "board-a").get(0), "lab");
        Map<String, Object> bad = Map.of("cron", "0 2 * * *", "durationMinutes", 60, "zone", "Mars/Olympus");

        Http.Response group = put("lab", bad);
        Http.Response rollout = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"), "policies", Map.of("maintenanceWindow", bad)));

        assertThat(rollout.status()).isEqualTo(400);
        String message = rollout.json().path("message").asText();
        assertThat(message).startsWith("policies.maintenanceWindow.zone ");
        assertThat(group.json().path("message").asText()).isEqualTo(message.substring("policies.".length()));
    }

    @StoreTest
    void anUnknownGroupIsRefusedAndKeepsNoWindow(TestDatabase db) {
        fleet = new Fleet(db, dir);
        TestDevice d = fleet.devices(1, "board-a").get(0);

        for (Http.Response r : List.of(put("nobody", NIGHT), show("nobody"), delete("nobody"))) {
            assertThat(r.status()).as(r.text()).isEqualTo(404);
            assertThat(r.code()).isEqualTo("not_found");
            assertThat(r.json().path("message").asText()).isEqualTo("group 'nobody' not found");
        }
        fleet.setGroup(d, "nobody");
        JsonNode shown = show("nobody").json();
        assertThat(shown.path("devices").asInt()).isEqualTo(1);
        assertThat(shown.path("maintenanceWindow").isNull()).as("the refused window was not stored").isTrue();
        assertThat(fleet.audit("group.window.set")).isEmpty();
    }

    @StoreTest
    void changingAWindowNeedsAnOperatorAndShowingItAViewer(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.setGroup(fleet.devices(1, "board-a").get(0), "lab");
        String viewer = fleet.srv.token(fleet.admin, "viewer");
        Http http = fleet.srv.http;

        assertThat(http.send("PUT", path("lab"), null, NIGHT, Map.of()).status()).isEqualTo(401);
        assertThat(http.send("PUT", path("lab"), viewer, NIGHT, Map.of()).status()).isEqualTo(403);
        assertThat(http.send("DELETE", path("lab"), viewer, null, Map.of()).status()).isEqualTo(403);
        assertThat(http.get(path("lab"), null).status()).isEqualTo(401);
        assertThat(http.get(path("lab"), viewer).status()).isEqualTo(200);
        assertThat(show("lab").json().path("maintenanceWindow").isNull()).isTrue();
        assertThat(fleet.audit("group.window.set")).isEmpty();
    }
}
