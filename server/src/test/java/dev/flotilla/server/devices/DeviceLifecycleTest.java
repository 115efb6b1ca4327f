package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Deleting and re-commissioning devices over real HTTP, on H2 and PostgreSQL. */
class DeviceLifecycleTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private TestServer srv;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    private Http http() {
        return srv.http;
    }

    private Http.Response delete(String id, String token) {
        return http().send("DELETE", "/api/v1/devices/" + id, token, null, Map.of());
    }

    private Http.Response events(TestDevice d, String... ids) {
        List<Map<String, Object>> list = java.util.Arrays.stream(ids)
                .map(id -> Map.<String, Object>of("eventId", id, "type", "installed")).toList();
        return http().post("/api/v1/device/" + d.id() + "/events", d.token(), Map.of("events", list));
    }

    private JsonNode lastAudit() {
        return http().get("/api/v1/audit?order=desc&limit=1", srv.adminToken).json().path("items").get(0);
    }

    private long cacheLookups() {
        for (String line : http().get("/metrics", null).text().split("\n")) {
            if (line.startsWith("flotilla_checkin_lookups_total{") && line.contains("source=\"cache\"")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no cache lookups metric");
    }

    @StoreTest
    void aDeletedDeviceIsGoneWithItsTokensAndData(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        TestDevice other = srv.device(KeyType.ED25519, "board-a");
        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "fw-1.bin")), null).status()).isEqualTo(200);
        assertThat(events(d, "ev-1", "ev-2").status()).isEqualTo(200);
        assertThat(http().send("PUT", "/api/v1/devices/" + d.id() + "/tags", srv.adminToken,
                Map.of("tags", List.of("lab")), Map.of()).status()).isEqualTo(200);

        String operator = srv.token(srv.adminToken, "operator");
        Http.Response refused = delete(d.id(), operator);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(http().get("/api/v1/devices/" + d.id(), srv.adminToken).status()).isEqualTo(200);

        Http.Response deleted = delete(d.id(), srv.adminToken);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().path("id").asText()).isEqualTo(d.id());
        JsonNode audit = lastAudit();
        assertThat(audit.path("action").asText()).isEqualTo("device.delete");
        assertThat(audit.path("targetId").asText()).isEqualTo(d.id());
        assertThat(audit.path("before").path("tags").get(0).asText()).isEqualTo("lab");
        assertThat(audit.path("after").isNull()).isTrue();

        assertThat(http().get("/api/v1/devices/" + d.id(), srv.adminToken).status()).isEqualTo(404);
        assertThat(http().get("/api/v1/devices/" + d.id() + "/events", srv.adminToken).status()).isEqualTo(404);
        assertThat(http().get("/api/v1/devices?tag=lab", srv.adminToken).json().path("items")).isEmpty();
        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "fw-1.bin")), null).status()).isEqualTo(401);
        assertThat(events(d, "ev-3").status()).isEqualTo(401);
        assertThat(http().post("/api/v1/device/" + d.id() + "/challenge", null, Map.of()).status()).isEqualTo(404);
        assertThat(delete(d.id(), srv.adminToken).status()).isEqualTo(404);
        assertThat(delete("dev_unknown", srv.adminToken).code()).isEqualTo("not_found");
        // the other device is untouched, and the deleted device's key may enroll again as a new device
        assertThat(other.checkIn(http(), other.envelope(other.manifest(other.id(), "fw-1.bin")), null).status())
                .isEqualTo(200);
        String oldId = d.id();
        Http.Response again = d.enroll(http(), srv.enrollmentToken(srv.adminToken), "board-a");
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.json().path("id").asText()).isNotEqualTo(oldId);
    }

    /** The idle check-in cache never answers for a deleted device. */
    @StoreTest
    void aDeletedDeviceIsNotAnsweredFromTheIdleCache(TestDatabase db) throws Exception {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.bin"));
        String etag = d.checkIn(http(), envelope, null).header("ETag").orElseThrow();
        Thread.sleep(TestServer.CACHE_LEASE.toMillis()); // the feed has read the device's own write
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        long before = cacheLookups();
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        assertThat(cacheLookups()).as("answered from the cache").isEqualTo(before + 1);

        assertThat(delete(d.id(), srv.adminToken).status()).isEqualTo(200);
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(401);
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(401);
    }

    @StoreTest
    void aRecommissionedDeviceLogsInAndChecksInAgain(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        String path = "/api/v1/devices/" + d.id();
        Http.Response active = http().post(path + "/recommission", srv.adminToken, Map.of());
        assertThat(active.status()).isEqualTo(409);
        assertThat(active.code()).isEqualTo("device_active");
        assertThat(http().post(path + "/decommission", srv.adminToken, Map.of()).status()).isEqualTo(200);
        assertThat(d.login(http()).code()).isEqualTo("device_decommissioned");

        String viewer = srv.token(srv.adminToken, "viewer");
        assertThat(http().post(path + "/recommission", viewer, Map.of()).status()).isEqualTo(403);
        assertThat(http().post("/api/v1/devices/dev_unknown/recommission", srv.adminToken, Map.of()).status())
                .isEqualTo(404);
        String operator = srv.token(srv.adminToken, "operator");
        Http.Response back = http().post(path + "/recommission", operator, Map.of());
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.json().path("status").asText()).isEqualTo("active");
        JsonNode audit = lastAudit();
        assertThat(audit.path("action").asText()).isEqualTo("device.recommission");
        assertThat(audit.path("before").path("status").asText()).isEqualTo("decommissioned");
        assertThat(audit.path("after").path("status").asText()).isEqualTo("active");

        assertThat(d.login(http()).status()).isEqualTo(200);
        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "fw-1.bin")), null).status()).isEqualTo(200);
        assertThat(d.enroll(http(), null, "board-a").status())
                .as("a key enrolled with a token is not registered in advance: no enrollment without a token")
                .isEqualTo(401);
    }

    /** Like a device that joins its group, a re-commissioned one gets the group's active deployment. */
    @StoreTest
    void aRecommissionedDeviceGetsItsGroupsActiveDeployment(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        dev.flotilla.server.testing.OfflineRepo repo = new dev.flotilla.server.testing.OfflineRepo();
        repo.buildRoot(http().get("/api/v1/trust/online-keys", srv.adminToken).json(), clock.instant());
        assertThat(repo.uploadRoot(http(), srv.adminToken).status()).isEqualTo(200);
        byte[] image = "firmware 2".getBytes();
        assertThat(repo.publish(http(), srv.adminToken, "fw-2.bin", image, repo.addTarget("fw-2.bin", image, "2.0.0",
                "board-a", clock.instant()).sign(repo.targetsKey)).status()).isEqualTo(201);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        String path = "/api/v1/devices/" + d.id();
        assertThat(http().send("PUT", path + "/group", srv.adminToken, Map.of("group", "lab"), Map.of()).status())
                .isEqualTo(200);
        assertThat(http().post(path + "/decommission", srv.adminToken, Map.of()).status()).isEqualTo(200);
        Http.Response created = http().post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-2.bin", "group", "lab", "allowEmpty", true));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().path("status").isEmpty()).as("a decommissioned device is not assigned").isTrue();

        assertThat(http().post(path + "/recommission", srv.adminToken, Map.of()).status()).isEqualTo(200);
        assertThat(d.login(http()).status()).isEqualTo(200);
        Http.Response r = d.checkIn(http(), d.envelope(d.manifest(d.id(), "fw-1.bin")), null);
        assertThat(r.json().path("assignment").path("signed").path("targetPath").asText()).isEqualTo("fw-2.bin");
    }
}
