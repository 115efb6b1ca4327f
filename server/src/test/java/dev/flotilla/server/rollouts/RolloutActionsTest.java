package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operator actions (start, pause, resume, abort, retry) and the revert policy with each reason a device cannot be
 * sent back, audited with the numbers. Real HTTP, H2 and PostgreSQL.
 */
class RolloutActionsTest extends FleetTest {
    /**
     * A one-stage rollout of fw-2.0.bin with {@code onHalt: revert} whose failure-rate gate halts it once more than
     * 20% of at least {@code minDevices} devices failed; returns its id.
     */
    private String reverting(int minDevices) {
        return rollout("{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0.2, 'minDevices': "
                + minDevices + "}}}", Map.of("onHalt", "revert"));
    }

    /** The halt's {@code cannotRevert} list: reason by device id. */
    private static Map<String, String> cannotRevert(JsonNode rollout) {
        Map<String, String> out = new java.util.TreeMap<>();
        rollout.path("halt").path("revert").path("cannotRevert")
                .forEach(c -> out.put(c.path("deviceId").asText(), c.path("reason").asText()));
        return out;
    }

    @StoreTest
    void resumeAcknowledgesTheFailuresSoTheyDoNotTripTheGateAgain(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 3);
        String id = rollout("{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}");
        fleet.report(devices.get(0), id, "failed", Map.of("reason", "E_FLASH"));
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("halted");
        assertThat(fleet.assigned(devices, id)).isEmpty();

        JsonNode resumed = fleet.act(id, "resume");

        assertThat(resumed.path("state").asText()).isEqualTo("active");
        assertThat(resumed.has("halt")).isFalse();
        assertThat(fleet.audit("rollout.resume").get(0).path("after").path("acknowledged").asInt()).isEqualTo(1);
        assertThat(fleet.assigned(devices, id)).as("withdrawn devices are admitted again")
                .containsExactlyInAnyOrder(devices.get(1), devices.get(2));
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("active");
        fleet.report(devices.get(1), id, "failed", Map.of("reason", "E_FLASH"));
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).as("a new failure still counts")
                .isEqualTo("halted");
    }

    @StoreTest
    void pauseStopsStagesAndAbortWithdraws(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 4);
        String id = rollout("{'stages': [{'count': 1}, {'percent': 100}], 'soakSeconds': 60}");
        fleet.assigned(devices, id).forEach(d -> fleet.commit(d, id));
        assertThat(fleet.act(id, "pause").path("state").asText()).isEqualTo("paused");
        assertThat(fleet.tick(id, Duration.ofHours(1)).path("stage").asInt()).as("paused: no next stage").isZero();
        assertThat(fleet.post("/api/v1/rollouts/" + id + "/pause", Map.of()).code()).isEqualTo("invalid_state");
        fleet.act(id, "resume");
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("stage").asInt()).isEqualTo(1);
        assertThat(fleet.assigned(devices, id)).hasSize(3);

        JsonNode aborted = fleet.act(id, "abort");

        assertThat(aborted.path("state").asText()).isEqualTo("aborted");
        assertThat(fleet.assigned(devices, id)).isEmpty();
        assertThat(fleet.audit("rollout.abort").get(0).path("after").path("withdrawn").asInt()).isEqualTo(3);
        assertThat(fleet.audit("rollout.abort").get(0).path("actorKind").asText(null)).isNotEqualTo("system");
    }

    @StoreTest
    void retryGivesFailedDevicesANewAssignmentABoundedNumberOfTimes(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 1);
        TestDevice d = devices.get(0);
        String id = rollout("{'stages': [{'percent': 100}]}", Map.of("maxRetries", 1, "retryBackoffSeconds", 0));
        long first = fleet.assignment(d).path("signed").path("counter").asLong();
        fleet.report(d, id, "failed", Map.of("reason", "E_DOWNLOAD"));
        assertThat(fleet.assignment(d).isNull()).isTrue();

        fleet.act(id, "retry");

        JsonNode again = fleet.assignment(d);
        assertThat(again.path("signed").path("deploymentId").asText()).isEqualTo(id);
        assertThat(again.path("signed").path("counter").asLong()).isGreaterThan(first);
        assertThat(fleet.audit("rollout.retry").get(0).path("after").path("retried").asInt()).isEqualTo(1);
        fleet.report(d, id, "failed", Map.of("reason", "E_DOWNLOAD"));
        fleet.act(id, "retry");
        assertThat(fleet.assignment(d).isNull()).as("retries used up").isTrue();
        JsonNode second = fleet.audit("rollout.retry").stream()
                .filter(e -> e.path("after").path("retried").asInt() == 0).findFirst().orElseThrow();
        assertThat(second.path("after").path("exhausted").asInt()).isEqualTo(1);
    }

    @StoreTest
    void aDynamicStartIsAuditedWithTheDevicesItsPositionFillAdmittedInTheStartersName(TestDatabase db) {
        fleetOf(db, 3);
        Http.Response created = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}")));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.json().path("id").asText();

        JsonNode acted = fleet.act(id, "start").path("acted").path("after");

        assertThat(acted.path("admitted").asInt()).isEqualTo(3);
        assertThat(acted.has("positions")).isFalse();
        JsonNode start = fleet.audit("rollout.start").get(0);
        assertThat(start.path("after").path("positions").asText()).isEqualTo("filling");
        assertThat(start.path("after").has("admitted")).as("not a misleading 0").isFalse();
        JsonNode fill = fleet.audit("rollout.positions").get(0);
        assertThat(fill.path("after").path("admitted").asInt()).isEqualTo(3);
        assertThat(fill.path("after").path("selected").asInt()).isEqualTo(3);
        assertThat(fill.path("after").path("completes").asText()).isEqualTo("rollout.start");
        assertThat(fill.path("actorKind").asText()).isEqualTo(start.path("actorKind").asText()).isNotEqualTo("system");
        assertThat(fill.path("actorId").asText()).isEqualTo(start.path("actorId").asText());
        assertThat(fill.path("seq").asLong()).isGreaterThan(start.path("seq").asLong());

        fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("mode", "static"), "supersede", true,
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}")));
        List<JsonNode> starts = fleet.audit("rollout.start");
        assertThat(starts.get(1).path("after").path("admitted").asInt()).as("a static selection admits at once")
                .isEqualTo(3);
        assertThat(fleet.audit("rollout.positions")).as("and fills no positions").hasSize(1);
    }

    @StoreTest
    void revertSendsCommittedDevicesBackUnlessAntiRollbackForbidsIt(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 3);
        TestDevice back = devices.get(0);
        TestDevice locked = devices.get(1);
        TestDevice failing = devices.get(2);
        fleet.checkIn(locked, "fw-1.0.bin", "1.0.0", 3, "ok"); // its anti-rollback counter is above fw-1.0's 0
        String id = reverting(3);
        fleet.commit(back, id);
        fleet.commit(locked, id);
        fleet.report(failing, id, "failed", Map.of("reason", "E_FLASH"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        JsonNode revert = halted.path("halt").path("revert");
        assertThat(revert.path("reverted").asInt()).isEqualTo(1);
        assertThat(revert.path("cannotRevert")).singleElement().satisfies(c -> {
            assertThat(c.path("deviceId").asText()).isEqualTo(locked.id());
            assertThat(c.path("reason").asText()).contains("anti-rollback").contains("securityVersion 3");
        });
        JsonNode a = fleet.checkIn(back, "fw-2.0.bin", "2.0.0", 0, "ok");
        assertThat(a.path("signed").path("targetPath").asText()).isEqualTo("fw-1.0.bin");
        assertThat(fleet.checkIn(locked, "fw-2.0.bin", "2.0.0", 3, "ok").isNull()).isTrue();
        assertThat(halted.path("stages").get(0).path("funnel").path("reverted").asInt()).isEqualTo(1);
    }

    @StoreTest
    void aDeviceOnTrialAtTheHaltThatCommitsLaterIsRevertedToo(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 3);
        TestDevice late = devices.get(0);
        String id = reverting(2);
        fleet.report(late, id, "trial_boot", Map.of()); // on trial: a halt lets it finish
        fleet.report(devices.get(1), id, "failed", Map.of("reason", "E_FLASH"));
        fleet.report(devices.get(2), id, "failed", Map.of("reason", "E_FLASH"));
        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));
        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("revert").path("reverted").asInt()).isZero();

        fleet.commit(late, id);

        JsonNode a = fleet.checkIn(late, "fw-2.0.bin", "2.0.0", 0, "ok");
        assertThat(a.path("signed").path("targetPath").asText()).isEqualTo("fw-1.0.bin");
        JsonNode after = fleet.get(id);
        assertThat(after.path("halt").path("revert").path("reverted").asInt()).isEqualTo(1);
        assertThat(after.path("stages").get(0).path("funnel").path("reverted").asInt()).isEqualTo(1);
        assertThat(fleet.audit("rollout.revert")).singleElement().satisfies(e -> {
            assertThat(e.path("after").path("deviceId").asText()).isEqualTo(late.id());
            assertThat(e.path("after").path("previous").asText()).isEqualTo("fw-1.0.bin");
            assertThat(e.path("after").path("reverted").asBoolean()).isTrue();
        });
    }

    @StoreTest
    void aDeviceWithNoEarlierReleaseKnownIsListedAsCannotRevertAndNotSentTheHaltedReleaseAgain(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        TestDevice back = devices.get(0);
        TestDevice failing = devices.get(1);
        TestDevice silent = fleet.srv.device(KeyType.ED25519, "board-a"); // enrolled, no manifest yet
        TestDevice onTarget = fleet.srv.device(KeyType.ED25519, "board-a");
        fleet.checkIn(onTarget, "fw-2.0.bin", "2.0.0", 0, "ok"); // already runs the release about to roll out
        String id = reverting(4);
        fleet.checkIn(silent, "fw-1.0.bin", "1.0.0", 0, "ok"); // after its admission: not its previous release
        for (TestDevice d : List.of(back, silent, onTarget)) {
            fleet.commit(d, id);
        }
        fleet.report(failing, id, "failed", Map.of("reason", "E_FLASH"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("revert").path("reverted").asInt()).isEqualTo(1);
        Map<String, String> cannot = cannotRevert(halted);
        assertThat(cannot).containsOnlyKeys(silent.id(), onTarget.id());
        assertThat(cannot.get(silent.id())).isEqualTo(
                "no previous release known (the device reported none before this rollout)");
        assertThat(cannot.get(onTarget.id())).startsWith("no previous release known")
                .contains("'fw-2.0.bin', this rollout's release");
        assertThat(fleet.checkIn(back, "fw-2.0.bin", "2.0.0", 0, "ok").path("signed").path("targetPath").asText())
                .isEqualTo("fw-1.0.bin");
        assertThat(fleet.checkIn(silent, "fw-2.0.bin", "2.0.0", 0, "ok").isNull()).isTrue();
        assertThat(fleet.checkIn(onTarget, "fw-2.0.bin", "2.0.0", 0, "ok").isNull())
                .as("not assigned the halted release again").isTrue();
        JsonNode funnel = halted.path("stages").get(0).path("funnel");
        assertThat(funnel.path("reverted").asInt()).isEqualTo(1);
        assertThat(funnel.path("committed").asInt()).isEqualTo(2);
    }

    @StoreTest
    void aDeviceWhosePreviousReleaseIsNotInTheSignedTargetsIsListedAsCannotRevert(TestDatabase db) {
        TestDevice gone = fleetOf(db, 1).get(0); // runs fw-1.0.bin, which is deleted during the rollout
        fleet.publish("fw-1.5.bin", "1.5.0", "board-a");
        TestDevice failing = fleet.srv.device(KeyType.ED25519, "board-a");
        fleet.checkIn(failing, "fw-1.5.bin", "1.5.0", 0, "ok");
        TestDevice factory = fleet.srv.device(KeyType.ED25519, "board-a");
        fleet.checkIn(factory, "factory.bin", "0.9.0", 0, "ok"); // an image never published on this server
        String id = reverting(3);
        for (TestDevice d : List.of(gone, factory)) {
            fleet.commit(d, id);
            fleet.checkIn(d, "fw-2.0.bin", "2.0.0", 0, "ok");
        }
        Http.Response deleted = fleet.repo.delete(fleet.srv.http, fleet.admin, "fw-1.0.bin",
                fleet.repo.withoutTarget("fw-1.0.bin", fleet.clock.instant()).sign(fleet.repo.targetsKey));
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        fleet.report(failing, id, "failed", Map.of("reason", "E_FLASH"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("revert").path("reverted").asInt()).isZero();
        assertThat(cannotRevert(halted)).containsOnly(
                Map.entry(gone.id(), "previous release 'fw-1.0.bin' is not in the signed targets (deleted, or never published)"),
                Map.entry(factory.id(), "previous release 'factory.bin' is not in the signed targets (deleted, or never published)"));
        assertThat(fleet.checkIn(gone, "fw-2.0.bin", "2.0.0", 0, "ok").isNull()).isTrue();
        assertThat(fleet.checkIn(factory, "fw-2.0.bin", "2.0.0", 0, "ok").isNull()).isTrue();
        assertThat(halted.path("stages").get(0).path("funnel").path("reverted").asInt()).isZero();
    }

    @StoreTest
    void aDeviceAMoreRecentRolloutHoldsIsListedAsCannotRevertAndKeepsThatRollout(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        TestDevice moved = devices.get(0);
        TestDevice failing = devices.get(1);
        fleet.publish("fw-2.1.bin", "2.1.0", "board-a");
        String id = reverting(2);
        fleet.commit(moved, id);
        String newer = fleet.start(Map.of("target", "fw-2.1.bin", "selection", Map.of("devices", List.of(moved.id())),
                "supersede", true, "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();
        fleet.report(failing, id, "failed", Map.of("reason", "E_FLASH"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("revert").path("reverted").asInt()).isZero();
        assertThat(cannotRevert(halted)).containsOnly(Map.entry(moved.id(), "a more recent rollout holds the device"));
        JsonNode signed = fleet.checkIn(moved, "fw-2.0.bin", "2.0.0", 0, "ok").path("signed");
        assertThat(signed.path("deploymentId").asText()).isEqualTo(newer);
        assertThat(signed.path("targetPath").asText()).isEqualTo("fw-2.1.bin");
    }

    @StoreTest
    void thePoliciesAreSignedIntoEachAssignment(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 1);
        String soft = rollout("{'stages': [{'percent': 100}]}", Map.of("install", "download-only",
                "maintenanceWindow", Map.of("cron", "30 1 * * 6", "durationMinutes", 90, "zone", "Europe/Berlin")));
        fleet.tick(soft, Duration.ofSeconds(2));

        JsonNode signed = fleet.assignment(devices.get(0)).path("signed");

        assertThat(signed.path("deploymentId").asText()).isEqualTo(soft);
        assertThat(signed.path("downloadOnly").asBoolean()).isTrue();
        assertThat(signed.path("forced").asBoolean()).isFalse();
        assertThat(signed.path("withdrawn").asBoolean()).isFalse();
        assertThat(signed.path("installWindow").path("cron").asText()).isEqualTo("30 1 * * 6");
        assertThat(signed.path("installWindow").path("durationMinutes").asInt()).isEqualTo(90);
        assertThat(signed.path("installWindow").path("zone").asText()).isEqualTo("Europe/Berlin");
    }

    @StoreTest
    void aForcedRolloutSignsForcedIntoEachAssignmentAndASoftOneSignsItFalse(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 3);
        String forced = fleet.start(Map.of("target", "fw-2.0.bin",
                "selection", Map.of("devices", List.of(devices.get(0).id(), devices.get(1).id())),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"), "policies", Map.of("install", "forced")))
                .path("id").asText();
        String soft = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("devices", List.of(devices.get(2).id())),
                "plan", Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();
        fleet.tick(forced, Duration.ofSeconds(2));

        for (TestDevice d : devices.subList(0, 2)) {
            JsonNode signed = fleet.assignment(d).path("signed");
            assertThat(signed.path("deploymentId").asText()).isEqualTo(forced);
            assertThat(signed.path("forced").isBoolean() && signed.path("forced").booleanValue()).as(d.id()).isTrue();
        }
        JsonNode signed = fleet.assignment(devices.get(2)).path("signed");
        assertThat(signed.path("deploymentId").asText()).isEqualTo(soft);
        assertThat(signed.path("forced").isBoolean()).as("the format always signs the flag").isTrue();
        assertThat(signed.path("forced").booleanValue()).isFalse();
    }

    @StoreTest
    void eachAssignmentCarriesTheSoakTimeOfItsRolloutsCurrentStage(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'count': 1, 'soakSeconds': 7200}, {'percent': 100}], 'soakSeconds': 600}");
        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(1);
        TestDevice second = devices.get(0).equals(first.get(0)) ? devices.get(1) : devices.get(0);
        assertThat(fleet.assignment(first.get(0)).path("signed").path("soakSeconds").asLong()).isEqualTo(7200);

        fleet.commit(first.get(0), id);
        assertThat(fleet.tick(id, Duration.ofSeconds(7201)).path("stage").asInt()).isEqualTo(1);

        assertThat(fleet.assignment(second).path("signed").path("soakSeconds").asLong()).isEqualTo(600);
    }
}
