package dev.flotilla.server.rollouts;

import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rollout test over a {@link Fleet} (made by the test, in {@link #dir}), closed after each test, with the set-up
 * its tests share: the fleet with its devices, a rollout of fw-2.0.bin to all of them, a device committed in a
 * soaking first stage.
 */
abstract class FleetTest {
    @TempDir
    Path dir;
    Fleet fleet;

    /** What {@link #committedInASoakingStage} made: the rollout and the device of its first stage. */
    record Soaking(String id, TestDevice first) {
    }

    @AfterEach
    void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** Starts {@link #fleet} on {@code db} with {@code n} board-a devices running fw-1.0.bin; returns them. */
    List<TestDevice> fleetOf(TestDatabase db, int n) {
        fleet = new Fleet(db, dir);
        return fleet.devices(n, "board-a");
    }

    /**
     * Creates and starts a rollout of fw-2.0.bin to every device (an empty selection) with {@code plan} (in
     * {@link Fleet#plan}'s single quotes) and the default policies; returns its id.
     */
    String rollout(String plan) {
        return fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(plan)))
                .path("id").asText();
    }

    /** {@link #rollout(String)} with {@code policies}. */
    String rollout(String plan, Map<String, Object> policies) {
        return fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(plan),
                "policies", policies)).path("id").asText();
    }

    /**
     * Two devices and a rollout whose first stage, of one device, soaks for an hour before the second (the rest)
     * behind {@code gate} (at most 0, from one device on); the first stage's device has committed.
     */
    Soaking committedInASoakingStage(TestDatabase db, String gate) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'count': 1}, {'percent': 100}], 'soakSeconds': 3600,"
                + " 'gates': {'" + gate + "': {'max': 0, 'minDevices': 1}}}");
        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(1);
        fleet.commit(first.get(0), id);
        return new Soaking(id, first.get(0));
    }
}
