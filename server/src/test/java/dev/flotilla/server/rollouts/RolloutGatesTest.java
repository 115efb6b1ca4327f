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
 * Each gate halts a rollout at once, with the numbers; timeouts and post-commit regressions count as failures;
 * a halt withdraws what was not started and assigns nobody afterwards. Real HTTP, H2 and PostgreSQL.
 */
class RolloutGatesTest extends FleetTest {
    @StoreTest
    void theFailureRateGateHaltsOnceItHasItsSampleAndRecordsTheNumbers(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 6);
        String id = rollout("{'stages': [{'count': 2}, {'percent': 100}], 'soakSeconds': 0,"
                + " 'gates': {'failureRate': {'max': 0.4, 'minDevices': 2}}}");
        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(2);
        fleet.report(first.get(0), id, "failed", Map.of("reason", "E_FLASH"));
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).as("one verdict of two needed")
                .isEqualTo("active");
        fleet.commit(first.get(1), id);

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("stage").asInt()).isZero();
        JsonNode halt = halted.path("halt");
        assertThat(halt.path("gate").asText()).isEqualTo("failureRate");
        assertThat(halt.path("threshold").asDouble()).isEqualTo(0.4);
        assertThat(halt.path("observed").asDouble()).isEqualTo(0.5);
        assertThat(halt.path("sample").asInt()).isEqualTo(2);
        assertThat(halted.path("failures").path("byReason")).hasToString("{\"E_FLASH\":1}");
        assertThat(halted.path("failures").path("byHardware")).hasToString("{\"board-a\":1}");
        assertThat(halted.path("failures").path("byPreviousVersion")).hasToString("{\"1.0.0\":1}");
        assertThat(fleet.audit("rollout.halt")).singleElement()
                .satisfies(e -> assertThat(e.path("after").path("observed").asDouble()).isEqualTo(0.5));
        // no device gets the release from then on, however long we wait
        fleet.tick(id, Duration.ofHours(2));
        assertThat(fleet.assigned(devices, id)).isEmpty();
    }

    @StoreTest
    void aHaltWithdrawsAssignmentsNotStartedAndLateCheckInsGetTheSignedWithdrawal(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 3);
        String id = rollout("{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}");
        TestDevice failing = devices.get(0);
        TestDevice installing = devices.get(1);
        TestDevice silent = devices.get(2);
        JsonNode before = fleet.assignment(silent);
        fleet.report(installing, id, "installed", Map.of());
        fleet.report(failing, id, "failed", Map.of("reason", "E_VERIFY"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("withdrawn").asInt()).isEqualTo(1);
        assertThat(halted.path("stages").get(0).path("funnel").path("withdrawn").asInt()).isEqualTo(1);
        assertThat(halted.path("stages").get(0).path("funnel").path("installing").asInt()).isEqualTo(1);
        JsonNode withdrawal = fleet.assignment(silent).path("signed");
        assertThat(withdrawal.path("deploymentId").asText()).as("the late check-in of a withdrawn device").isEqualTo(id);
        assertThat(withdrawal.path("withdrawn").asBoolean()).isTrue();
        assertThat(withdrawal.path("counter").asLong()).isGreaterThan(before.path("signed").path("counter").asLong());
        assertThat(fleet.assignment(installing).path("signed").path("deploymentId").asText()).isEqualTo(id);
        assertThat(fleet.assignment(installing).path("signed").path("withdrawn").asBoolean()).isFalse();
        long counter = fleet.srv.server.jdbi().withHandle(h -> h.createQuery(
                "SELECT counter FROM device_assignments WHERE device_id = :d").bind("d", silent.id())
                .mapTo(Long.class).one());
        assertThat(counter).as("the withdrawn assignment was re-signed")
                .isGreaterThan(before.path("signed").path("counter").asLong());
    }

    @StoreTest
    void aHaltWithdrawsDevicesHoldingADownloadButNotThoseInstallingAndARacingInstallStillCounts(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 4);
        String id = rollout("{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}");
        TestDevice failing = devices.get(0);
        TestDevice waiting = devices.get(1);
        TestDevice installing = devices.get(2);
        TestDevice racing = devices.get(3);
        fleet.report(waiting, id, "download_started", Map.of());
        fleet.report(waiting, id, "verified", Map.of()); // downloaded; its own policy keeps it from installing
        fleet.report(racing, id, "download_started", Map.of());
        fleet.report(installing, id, "installed", Map.of());
        fleet.report(failing, id, "failed", Map.of("reason", "E_VERIFY"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("withdrawn").asInt()).isEqualTo(2);
        JsonNode funnel = halted.path("stages").get(0).path("funnel");
        assertThat(funnel.path("withdrawn").asInt()).isEqualTo(2);
        assertThat(funnel.path("installing").asInt()).isEqualTo(1);
        for (TestDevice d : List.of(waiting, racing)) {
            JsonNode signed = fleet.assignment(d).path("signed");
            assertThat(signed.path("deploymentId").asText()).isEqualTo(id);
            assertThat(signed.path("withdrawn").asBoolean()).as("the device holding the download drops it").isTrue();
        }
        assertThat(fleet.assignment(installing).path("signed").path("withdrawn").asBoolean()).isFalse();
        fleet.report(waiting, id, "withdrawn", Map.of());
        // the racing device had armed its trial as the withdrawal was made: its outcome still counts
        fleet.report(racing, id, "installed", Map.of());
        fleet.report(racing, id, "rolled_back", Map.of("reason", "BOOT_FAILED"));
        JsonNode after = fleet.get(id).path("stages").get(0).path("funnel");
        assertThat(after.path("withdrawn").asInt()).isEqualTo(1);
        assertThat(after.path("rolled_back").asInt()).isEqualTo(1);
        assertThat(fleet.assignment(racing).path("signed").path("deploymentId").isMissingNode())
                .as("its final report ends the assignment").isTrue();
    }

    @StoreTest
    void theRollbackRateGateHaltsOnRollbacks(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'percent': 100}], 'gates': {'rollbackRate': {'max': 0.4, 'minDevices': 2}}}");
        fleet.commit(devices.get(0), id);
        fleet.report(devices.get(1), id, "rolled_back", Map.of("reason", "HEALTH_CHECK"));

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("gate").asText()).isEqualTo("rollbackRate");
        assertThat(halted.path("halt").path("observed").asDouble()).isEqualTo(0.5);
    }

    @StoreTest
    void aDeviceSilentOrNotCommittingPastTheTimeoutCountsAsTimedOut(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'percent': 100}], 'timeoutSeconds': 600,"
                + " 'gates': {'timeoutRate': {'max': 0.5, 'minDevices': 2}}}");
        fleet.report(devices.get(0), id, "installed", Map.of()); // installed, never commits
        assertThat(fleet.tick(id, Duration.ofSeconds(599)).path("state").asText()).isEqualTo("active");

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2));

        assertThat(halted.path("stages").get(0).path("funnel").path("timed_out").asInt()).isEqualTo(2);
        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("gate").asText()).isEqualTo("timeoutRate");
        assertThat(halted.path("halt").path("observed").asDouble()).isEqualTo(1.0);
        assertThat(halted.path("failures").path("byReason")).hasToString("{\"timeout\":2}");
    }

    @StoreTest
    void theFailureRateGateCountsTimedOutDevicesAsFailures(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'percent': 100}], 'timeoutSeconds': 600,"
                + " 'gates': {'failureRate': {'max': 0.4, 'minDevices': 2}}}");
        fleet.commit(devices.get(0), id);
        assertThat(fleet.tick(id, Duration.ofSeconds(599)).path("state").asText()).isEqualTo("active");

        JsonNode halted = fleet.tick(id, Duration.ofSeconds(2)); // the other never reported: timed out

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("gate").asText()).isEqualTo("failureRate");
        assertThat(halted.path("halt").path("observed").asDouble()).isEqualTo(0.5);
        assertThat(halted.path("halt").path("sample").asInt()).isEqualTo(2);
    }

    @StoreTest
    void anUnhealthyManifestWithinTheSoakCountsAgainstTheStage(TestDatabase db) {
        Soaking s = committedInASoakingStage(db, "failureRate");
        assertThat(fleet.tick(s.id(), Duration.ofMinutes(10)).path("state").asText()).isEqualTo("active");

        fleet.checkIn(s.first(), "fw-2.0.bin", "2.0.0", 0, "degraded");
        JsonNode halted = fleet.tick(s.id(), Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("failures").path("byReason")).hasToString("{\"unhealthy\":1}");
    }

    @StoreTest
    void anUnknownHealthAfterTheCommitIsNoVerdict(TestDatabase db) {
        Soaking s = committedInASoakingStage(db, "failureRate");

        fleet.checkIn(s.first(), "fw-2.0.bin", "2.0.0", 0, "unknown"); // the agent restarted: no round of checks yet
        JsonNode after = fleet.tick(s.id(), Duration.ofSeconds(2));

        assertThat(after.path("state").asText()).isEqualTo("active");
        assertThat(after.path("stages").get(0).path("funnel").path("committed").asInt()).isEqualTo(1);
        assertThat(after.path("failures").path("byReason").isEmpty()).isTrue();
    }

    @StoreTest
    void aCommittedDeviceThatRollsBackWithinTheSoakTripsTheRollbackGate(TestDatabase db) {
        Soaking s = committedInASoakingStage(db, "rollbackRate");
        assertThat(fleet.tick(s.id(), Duration.ofMinutes(10)).path("state").asText()).isEqualTo("active");

        fleet.report(s.first(), s.id(), "rolled_back", Map.of("reason", "WATCHDOG_FALLBACK"));
        JsonNode halted = fleet.tick(s.id(), Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("halt").path("gate").asText()).isEqualTo("rollbackRate");
        assertThat(halted.path("stages").get(0).path("funnel").path("rolled_back").asInt()).isEqualTo(1);
        assertThat(halted.path("stages").get(0).path("funnel").path("committed").asInt()).isZero();
    }

    @StoreTest
    void aHealthFailedEventAfterTheCommitCountsAgainstTheStage(TestDatabase db) {
        Soaking s = committedInASoakingStage(db, "failureRate");
        fleet.report(s.first(), s.id(), "health_failed", Map.of("reason", "WATCHDOG"));

        JsonNode halted = fleet.tick(s.id(), Duration.ofSeconds(2));

        assertThat(halted.path("state").asText()).isEqualTo("halted");
        assertThat(halted.path("failures").path("byReason")).hasToString("{\"WATCHDOG\":1}");
    }

    @StoreTest
    void aRegressionAfterTheSoakNoLongerCounts(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 1);
        String id = rollout("{'stages': [{'percent': 100}], 'soakSeconds': 600,"
                + " 'gates': {'failureRate': {'max': 0, 'minDevices': 1}}}");
        fleet.commit(devices.get(0), id);
        fleet.tick(id, Duration.ofSeconds(601));
        fleet.report(devices.get(0), id, "health_failed", Map.of());

        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("active");
    }
}
