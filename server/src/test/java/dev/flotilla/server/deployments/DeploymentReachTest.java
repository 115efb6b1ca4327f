package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
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
 * A deployment must reach a device of the release's hardware: a misspelt group or tag, or a device of other
 * hardware, is refused and creates nothing; a group that devices join later is deployed to with allowEmpty.
 */
class DeploymentReachTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private TestServer srv;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    /** fw-1.0.bin for board-a; two board-a devices and one board-b device in group lab. */
    private List<TestDevice> start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data"), clock);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        byte[] image = {1, 2, 3};
        assertThat(repo.publish(srv.http, srv.adminToken, "fw-1.0.bin", image,
                repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey))
                .status()).isEqualTo(201);
        List<TestDevice> devices = new ArrayList<>();
        for (String hw : List.of("board-a", "board-a", "board-b")) {
            TestDevice d = srv.device(KeyType.ED25519, hw);
            assertThat(srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/group", srv.adminToken,
                    Map.of("group", "lab"), Map.of()).status()).isEqualTo(200);
            devices.add(d);
        }
        return devices;
    }

    private Http.Response deploy(Map<String, Object> body) {
        return srv.http.post("/api/v1/deployments", srv.adminToken, body);
    }

    private int deployments() {
        return srv.http.get("/api/v1/deployments", srv.adminToken).json().path("items").size();
    }

    private int audit() {
        return srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size();
    }

    @StoreTest
    void aMisspeltGroupIsRefusedAndCreatesNothing(TestDatabase db) {
        start(db);
        int audit = audit();
        Http.Response r = deploy(Map.of("target", "fw-1.0.bin", "group", "lba"));
        assertThat(r.status()).as(r.text()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("no_matching_devices");
        assertThat(r.json().path("message").asText()).contains("group 'lba' has no active devices")
                .contains("0 match").contains("allowEmpty");
        Http.Response tag = deploy(Map.of("target", "fw-1.0.bin", "tag", "canary"));
        assertThat(tag.code()).isEqualTo("no_matching_devices");
        assertThat(deployments()).isZero();
        assertThat(audit()).isEqualTo(audit);
    }

    @StoreTest
    void anEmptyGroupIsDeployedToWithAllowEmpty(TestDatabase db) {
        start(db);
        Http.Response r = deploy(Map.of("target", "fw-1.0.bin", "group", "field", "allowEmpty", true));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(r.json().path("reach").path("members").asInt()).isZero();
        assertThat(r.json().path("reach").path("matchingHardware").asInt()).isZero();
        assertThat(r.json().path("group").asText()).isEqualTo("field");
        assertThat(r.json().path("state").asText()).isEqualTo("active");
    }

    @StoreTest
    void aGroupDeploymentReportsHowManyMembersMatchTheHardware(TestDatabase db) {
        start(db);
        Http.Response r = deploy(Map.of("target", "fw-1.0.bin", "group", "lab"));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        JsonNode reach = r.json().path("reach");
        assertThat(reach.path("members").asInt()).isEqualTo(3);
        assertThat(reach.path("matchingHardware").asInt()).isEqualTo(2);
        assertThat(reach.path("hardwareIds").toString()).isEqualTo("[\"board-a\"]");
        assertThat(r.json().path("id").asText()).startsWith("dep_");
    }

    @StoreTest
    void aGroupWithNoMemberOfTheHardwareIsRefused(TestDatabase db) {
        List<TestDevice> devices = start(db);
        srv.http.send("PUT", "/api/v1/devices/" + devices.get(2).id() + "/group", srv.adminToken,
                Map.of("group", "bench"), Map.of());
        Http.Response r = deploy(Map.of("target", "fw-1.0.bin", "group", "bench"));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("no_matching_devices");
        assertThat(r.json().path("message").asText()).contains("none of the 1 active devices of group 'bench'");
        assertThat(deployments()).isZero();
    }

    @StoreTest
    void aDeviceOfOtherHardwareIsRefusedEvenWithAllowEmpty(TestDatabase db) {
        List<TestDevice> devices = start(db);
        int audit = audit();
        Http.Response r = deploy(Map.of("target", "fw-1.0.bin", "deviceId", devices.get(2).id(), "allowEmpty", true));
        assertThat(r.status()).as(r.text()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("hardware_mismatch");
        assertThat(r.json().path("message").asText()).contains(devices.get(2).id()).contains("runs on board-a");
        assertThat(deployments()).isZero();
        assertThat(audit()).isEqualTo(audit);
        Http.Response ok = deploy(Map.of("target", "fw-1.0.bin", "deviceId", devices.get(0).id()));
        assertThat(ok.status()).as(ok.text()).isEqualTo(201);
        assertThat(ok.json().path("reach").path("matchingHardware").asInt()).isEqualTo(1);
    }

    @StoreTest
    void deploymentsAreListedNewestFirst(TestDatabase db) {
        List<TestDevice> devices = start(db);
        String first = deploy(Map.of("target", "fw-1.0.bin", "deviceId", devices.get(0).id())).json().path("id").asText();
        String second = deploy(Map.of("target", "fw-1.0.bin", "group", "lab")).json().path("id").asText();
        JsonNode items = srv.http.get("/api/v1/deployments", srv.adminToken).json().path("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).path("id").asText()).isEqualTo(second);
        assertThat(items.get(1).path("id").asText()).isEqualTo(first);
        JsonNode page = srv.http.get("/api/v1/deployments?limit=1&offset=1", srv.adminToken).json().path("items");
        assertThat(page.get(0).path("id").asText()).isEqualTo(first);
    }
}
