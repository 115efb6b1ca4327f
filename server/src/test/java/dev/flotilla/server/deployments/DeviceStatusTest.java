package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A deployment's per-device status follows what each device reported last and, for a finished one, what its
 * signed manifest says it runs; the device's events keep the whole history: boards that rolled back and later
 * installed and committed the same target count as committed. Over real HTTP, on H2 and PostgreSQL.
 */
class DeviceStatusTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final byte[] image = "firmware 1.1 for the lab".getBytes();
    private TestServer srv;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    @StoreTest
    void boardsThatRolledBackAndThenCommittedTheSameTargetCountAsCommitted(TestDatabase db) {
        start(db);
        List<TestDevice> boards = List.of(srv.device(KeyType.ED25519, "board-a"), srv.device(KeyType.ED25519, "board-a"),
                srv.device(KeyType.ED25519, "board-a"));
        List<String> deployments = new ArrayList<>();
        for (TestDevice b : boards) {
            deployments.add(deploy(b));
        }
        report(boards.get(0), deployments.get(0), "a1", "installed");
        report(boards.get(0), deployments.get(0), "a2", "committed");
        for (int i = 1; i < 3; i++) {
            report(boards.get(i), deployments.get(i), "b1", "installed");
            report(boards.get(i), deployments.get(i), "b2", "rolled_back");
        }
        assertThat(status(deployments.get(1))).isEqualTo(Map.of("rolled_back", 1));

        for (int i = 1; i < 3; i++) { // the boards try again and commit the same target
            report(boards.get(i), deployments.get(i), "c1", "installed");
            report(boards.get(i), deployments.get(i), "c2", "committed");
        }

        for (String d : deployments) {
            assertThat(status(d)).isEqualTo(Map.of("committed", 1));
        }
        assertThat(history(boards.get(1))).containsExactly("installed", "rolled_back", "installed", "committed");
        for (TestDevice b : boards) { // finished: nothing is sent to the boards any more
            Http.Response r = b.checkIn(srv.http, b.envelope(b.manifest(b.id(), "fw-1.1.bin")), null);
            assertThat(r.json().path("assignment").isNull()).isTrue();
        }
    }

    @StoreTest
    void aGroupDeploymentCountsWhatEachBoardReportedLast(TestDatabase db) {
        start(db);
        List<TestDevice> boards = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestDevice b = srv.device(KeyType.ED25519, "board-a");
            Http.Response r = srv.http.send("PUT", "/api/v1/devices/" + b.id() + "/group", srv.adminToken,
                    Map.of("group", "lab"), Map.of());
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            boards.add(b);
        }
        Http.Response dep = srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-1.1.bin", "group", "lab"));
        assertThat(dep.status()).as(dep.text()).isEqualTo(201);
        String id = dep.json().path("id").asText();
        report(boards.get(0), id, "e1", "committed");
        report(boards.get(1), id, "e1", "rolled_back");
        report(boards.get(2), id, "e1", "rolled_back");
        assertThat(status(id)).isEqualTo(Map.of("committed", 1, "rolled_back", 2));

        report(boards.get(1), id, "e2", "committed");
        report(boards.get(2), id, "e2", "committed");

        assertThat(status(id)).isEqualTo(Map.of("committed", 3));
    }

    @StoreTest
    void reportsThatDoNotNameTheDeploymentOrNameAnotherDoNotReopenAFinishedOne(TestDatabase db) {
        start(db);
        TestDevice board = srv.device(KeyType.ED25519, "board-a");
        String id = deploy(board);
        report(board, id, "e1", "committed");

        // a refusal the agent reports without a deployment, a late "installed", a report for another deployment
        post(board, Map.of("eventId", "e2", "type", "failed", "details", Map.of("reason", "REPLAYED")));
        report(board, id, "e3", "installed");
        report(board, "dep_other", "e4", "rolled_back");
        // a resend of an event already stored (same id) changes nothing either
        report(board, id, "e1", "committed");

        assertThat(status(id)).isEqualTo(Map.of("committed", 1));
        assertThat(history(board)).containsExactly("committed", "failed", "installed", "rolled_back");
    }

    @StoreTest
    void aManifestThatShowsTheTargetCommittedEndsARollbackAsCommitted(TestDatabase db) {
        start(db);
        TestDevice board = srv.device(KeyType.ED25519, "board-a");
        String id = deploy(board);
        report(board, id, "e1", "rolled_back");

        checkIn(board, "fw-1.1.bin", "00".repeat(32), "committed"); // another image under that name
        checkIn(board, "fw-1.1.bin", Digests.sha256Hex(image), "trial"); // not committed yet
        assertThat(status(id)).isEqualTo(Map.of("rolled_back", 1));

        Http.Response r = checkIn(board, "fw-1.1.bin", Digests.sha256Hex(image), "committed");

        assertThat(status(id)).isEqualTo(Map.of("committed", 1));
        assertThat(r.json().path("assignment").isNull()).isTrue();
        assertThat(history(board)).containsExactly("rolled_back");
    }

    private Http.Response checkIn(TestDevice board, String target, String sha256, String bootState) {
        ObjectNode m = board.manifest(board.id(), target);
        m.put("bootState", bootState);
        m.putObject("hashes").put("sha256", sha256);
        Http.Response r = board.checkIn(srv.http, board.envelope(m), null);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r;
    }

    /** A server on {@code db} with a root and the release fw-1.1.bin for board-a. */
    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data-" + db.kind()), clock);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        assertThat(repo.publish(srv.http, srv.adminToken, "fw-1.1.bin", image, repo.addTarget("fw-1.1.bin", image,
                "1.1.0", "board-a", clock.instant()).sign(repo.targetsKey)).status()).isEqualTo(201);
    }

    private String deploy(TestDevice board) {
        Http.Response r = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.1.bin", "deviceId", board.id()));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    private void report(TestDevice board, String deploymentId, String eventId, String type) {
        post(board, Map.of("eventId", eventId, "type", type, "details", Map.of("deploymentId", deploymentId)));
    }

    private void post(TestDevice board, Map<String, Object> event) {
        Http.Response r = srv.http.post("/api/v1/device/" + board.id() + "/events", board.token(),
                Map.of("events", List.of(event)));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    private Map<String, Integer> status(String deploymentId) {
        JsonNode s = srv.http.get("/api/v1/deployments/" + deploymentId, srv.adminToken).json().path("status");
        Map<String, Integer> out = new java.util.TreeMap<>();
        s.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asInt()));
        return out;
    }

    private List<String> history(TestDevice board) {
        return srv.http.get("/api/v1/devices/" + board.id() + "/events", srv.adminToken).json().path("items")
                .findValuesAsText("type");
    }
}
