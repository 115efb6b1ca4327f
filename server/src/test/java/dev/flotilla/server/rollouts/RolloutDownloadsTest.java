package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The policy {@code maxConcurrentDownloads}: at most that many devices of the rollout are handed the release to
 * download at a time; a device that finished its download, or timed out, frees its slot. Real HTTP, H2 and
 * PostgreSQL.
 */
class RolloutDownloadsTest extends FleetTest {
    @StoreTest
    void neverMoreThanTwoDevicesDownloadAtOnceAndAllFinish(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 6);
        String id = rollout("{'stages': [{'percent': 100}], 'soakSeconds': 0, 'timeoutSeconds': 600}",
                Map.of("maxConcurrentDownloads", 2));
        Set<TestDevice> handed = new LinkedHashSet<>();
        List<TestDevice> downloading = new ArrayList<>();
        int most = 0;
        for (int round = 0; round < 20 && (handed.size() < 6 || !downloading.isEmpty()); round++) {
            for (TestDevice d : fleet.assigned(devices, id)) {
                if (handed.add(d)) {
                    fleet.report(d, id, "download_started", Map.of());
                    downloading.add(d);
                }
            }
            most = Math.max(most, downloading.size());
            assertThat(downloading).as("devices handed the release and not done downloading").hasSizeLessThanOrEqualTo(2);
            assertThat(fleet.get(id).path("stages").get(0).path("funnel").path("downloading").asInt())
                    .isEqualTo(downloading.size());
            assertThat(downloading).as("a free slot is handed on").isNotEmpty();
            TestDevice done = downloading.remove(0); // one finishes its download, then installs and commits
            fleet.report(done, id, "downloaded", Map.of());
            fleet.commit(done, id);
            fleet.tick(id, Duration.ofSeconds(2));
        }

        assertThat(most).isEqualTo(2);
        assertThat(handed).hasSize(6);
        assertThat(fleet.get(id).path("stages").get(0).path("funnel").path("committed").asInt()).isEqualTo(6);
    }

    @StoreTest
    void aSilentDeviceTimesOutAndFreesItsSlotWhileAWaitingDeviceDoesNotTimeOut(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 3);
        String id = rollout("{'stages': [{'percent': 100}], 'soakSeconds': 0, 'timeoutSeconds': 600}",
                Map.of("maxConcurrentDownloads", 1));
        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(1);
        JsonNode view = fleet.tick(id, Duration.ofSeconds(2));
        assertThat(view.path("stages").get(0).path("funnel").path("pending").asInt()).isEqualTo(3);

        view = fleet.tick(id, Duration.ofSeconds(601)); // the first is silent past its timeout; the others wait

        assertThat(view.path("stages").get(0).path("funnel").path("timed_out").asInt()).isEqualTo(1);
        // the timed-out device keeps its assignment (it counts as failed; it may still come back), the next one
        // gets the freed slot
        List<TestDevice> handed = fleet.assigned(devices, id);
        assertThat(handed).hasSize(2).containsAll(first);
        TestDevice second = handed.stream().filter(d -> !first.contains(d)).findFirst().orElseThrow();
        // the second's timeout counts from when it was handed the release, not from its admission
        view = fleet.tick(id, Duration.ofSeconds(300));
        assertThat(view.path("stages").get(0).path("funnel").path("timed_out").asInt()).isEqualTo(1);
        assertThat(fleet.assigned(devices, id)).isEqualTo(handed);
        fleet.report(second, id, "verified", Map.of());
        fleet.tick(id, Duration.ofSeconds(2));
        assertThat(fleet.assigned(devices, id)).as("the downloaded one keeps its assignment, the last one gets a slot")
                .hasSize(3);
    }

    @StoreTest
    void aPausedRolloutHandsOutNoSlotUntilItResumes(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'percent': 100}], 'soakSeconds': 0}",
                Map.of("maxConcurrentDownloads", 1));
        TestDevice first = fleet.assigned(devices, id).get(0);
        fleet.act(id, "pause");
        fleet.report(first, id, "downloaded", Map.of());
        fleet.tick(id, Duration.ofSeconds(2));
        assertThat(fleet.assigned(devices, id)).containsExactly(first);
        fleet.act(id, "resume");
        fleet.tick(id, Duration.ofSeconds(2));
        assertThat(fleet.assigned(devices, id)).hasSize(2);
    }
}
