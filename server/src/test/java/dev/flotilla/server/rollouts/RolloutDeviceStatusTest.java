package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rollout's per-device state follows the device, as a deployment's status does: a device that rolled back
 * and later installed and committed the same release counts as committed in its stage (by its report, or by a
 * signed manifest that shows the release's image committed when the report was lost), while its events keep
 * the whole history. Real HTTP, H2 and PostgreSQL.
 */
class RolloutDeviceStatusTest extends FleetTest {
    @StoreTest
    void aDeviceThatRolledBackAndLaterCommittedTheSameReleaseCountsAsCommitted(TestDatabase db) {
        List<TestDevice> devices = fleetOf(db, 2);
        String id = rollout("{'stages': [{'percent': 100}]}");
        fleet.report(devices.get(0), id, "installed", Map.of());
        fleet.report(devices.get(0), id, "rolled_back", Map.of("reason", "BOOT_FAILED"));
        fleet.commit(devices.get(1), id);
        assertThat(state(id, devices.get(0))).isEqualTo("rolled_back");
        assertThat(funnel(id).path("rolled_back").asInt()).isEqualTo(1);

        fleet.commit(devices.get(0), id); // the board tries again and commits the same release

        assertThat(state(id, devices.get(0))).isEqualTo("committed");
        assertThat(funnel(id).path("committed").asInt()).isEqualTo(2);
        assertThat(funnel(id).path("rolled_back").asInt()).isZero();
        assertThat(history(devices.get(0))).containsExactly("installed", "rolled_back", "installed", "committed");
    }

    @StoreTest
    void aManifestThatShowsTheReleaseCommittedEndsARollbackAsCommitted(TestDatabase db) {
        TestDevice board = fleetOf(db, 1).getFirst();
        String id = rollout("{'stages': [{'percent': 100}]}");
        fleet.report(board, id, "rolled_back", Map.of("reason", "BOOT_FAILED"));
        String sha256 = Digests.sha256Hex("firmware fw-2.0.bin".getBytes());

        checkIn(board, "00".repeat(32), "committed"); // another image under the release's name
        checkIn(board, sha256, "trial"); // the release's image, not committed yet
        assertThat(state(id, board)).isEqualTo("rolled_back");

        checkIn(board, sha256, "committed");

        assertThat(state(id, board)).isEqualTo("committed");
        assertThat(funnel(id).path("committed").asInt()).isEqualTo(1);
        assertThat(funnel(id).path("rolled_back").asInt()).isZero();
        assertThat(history(board)).containsExactly("rolled_back");
    }

    private void checkIn(TestDevice board, String sha256, String bootState) {
        ObjectNode m = board.manifest(board.id(), "fw-2.0.bin");
        m.put("installedVersion", "2.0.0");
        m.put("healthState", "ok");
        m.put("bootState", bootState);
        m.putObject("hashes").put("sha256", sha256);
        Http.Response r = board.checkIn(fleet.srv.http, board.envelope(m), null);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    private String state(String rolloutId, TestDevice board) {
        JsonNode items = fleet.srv.http.get("/api/v1/rollouts/" + rolloutId + "/devices", fleet.admin).json()
                .path("items");
        for (JsonNode row : items) {
            if (row.path("deviceId").asText().equals(board.id())) {
                return row.path("state").asText();
            }
        }
        throw new AssertionError("device " + board.id() + " is not in rollout " + rolloutId + ": " + items);
    }

    private JsonNode funnel(String rolloutId) {
        return fleet.get(rolloutId).path("stages").get(0).path("funnel");
    }

    private List<String> history(TestDevice board) {
        return fleet.srv.http.get("/api/v1/devices/" + board.id() + "/events", fleet.admin).json().path("items")
                .findValuesAsText("type");
    }
}
