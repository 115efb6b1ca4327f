package dev.flotilla.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Values longer than their columns, or out of range, are refused at the edge with 400 and change nothing, on
 * H2 and PostgreSQL; a value exactly at its limit is stored. What the database itself refuses is a 4xx too.
 */
class FieldLimitsTest {
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

    private long auditEntries() {
        return srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size();
    }

    private void assertRefused(Http.Response r, String field) {
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_request");
        assertThat(r.json().path("message").asText()).contains(field);
    }

    private static String text(int length) {
        return "x".repeat(length);
    }

    @StoreTest
    void operatorValuesLongerThanTheirColumnsAre400AndChangeNothing(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        long audit = auditEntries();
        String tooLong = text(Limits.NAME + 1);

        assertRefused(srv.http.post("/api/v1/enrollment-tokens", srv.adminToken, Map.of("description", tooLong)),
                "description");
        assertRefused(srv.http.post("/api/v1/enrollment-tokens", srv.adminToken,
                Map.of("description", "d", "validForSeconds", Long.MAX_VALUE)), "validForSeconds");
        assertRefused(srv.http.post("/api/v1/enrollment-tokens", srv.adminToken,
                Map.of("description", "d", "validForSeconds", Limits.VALID_FOR_SECONDS + 1)), "validForSeconds");
        assertRefused(srv.http.post("/api/v1/tokens", srv.adminToken, Map.of("name", tooLong, "role", "viewer")), "name");
        assertRefused(srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/tags", srv.adminToken,
                Map.of("tags", List.of("lab", tooLong)), Map.of()), "tags");
        assertRefused(srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/group", srv.adminToken,
                Map.of("group", tooLong), Map.of()), "group");
        TestDevice other = new TestDevice(KeyType.ED25519);
        for (Map.Entry<String, Object> e : Map.<String, Object>of("hardwareId", tooLong, "group", tooLong,
                "tags", List.of(tooLong)).entrySet()) {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("publicKey", other.publicKeyJson(), "hardwareId", "b"));
            body.put(e.getKey(), e.getValue());
            assertRefused(srv.http.post("/api/v1/devices", srv.adminToken, body), e.getKey());
        }
        assertRefused(srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw.bin", "group", tooLong)),
                "group");
        assertRefused(srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw.bin", "tag", tooLong)),
                "tag");

        assertThat(auditEntries()).as("nothing changed").isEqualTo(audit);
        assertThat(srv.http.get("/api/v1/devices", srv.adminToken).json().path("items")).hasSize(1);
        assertThat(srv.http.get("/api/v1/devices/" + d.id(), srv.adminToken).json().path("device").path("tags"))
                .isEmpty();

        String atLimit = text(Limits.NAME);
        assertThat(srv.http.post("/api/v1/enrollment-tokens", srv.adminToken, Map.of("description", atLimit,
                "validForSeconds", Limits.VALID_FOR_SECONDS)).status()).isEqualTo(201);
        assertThat(srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/tags", srv.adminToken,
                Map.of("tags", List.of(atLimit)), Map.of()).status()).isEqualTo(200);
        assertThat(srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/group", srv.adminToken,
                Map.of("group", atLimit), Map.of()).status()).isEqualTo(200);
    }

    @StoreTest
    void deviceValuesLongerThanTheirColumnsAre400AndStoreNothing(TestDatabase db) {
        srv = TestServer.start(db, dir, clock, c -> c.withMaxRequestBytes(1024 * 1024)); // the default limit
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        String enrollment = srv.enrollmentToken(srv.adminToken);
        long audit = auditEntries();

        TestDevice fresh = new TestDevice(KeyType.ED25519);
        assertRefused(fresh.enroll(srv.http, enrollment, text(Limits.NAME + 1)), "hardwareId");
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("enrollmentToken", enrollment);
        body.set("publicKey", fresh.publicKeyJson());
        body.put("hardwareId", "board-a");
        body.putObject("attributes").put("blob", text(70_000));
        assertRefused(srv.http.post("/api/v1/device/enroll", null, body), "attributes");

        String events = "/api/v1/device/" + d.id() + "/events";
        assertRefused(srv.http.post(events, d.token(), Map.of("events", List.of(Map.of("eventId", "e1",
                "type", "installed", "occurredAt", "2026-12-02T16:03:56" + ".0".repeat(30) + "Z")))), "occurredAt");
        assertRefused(srv.http.post(events, d.token(), Map.of("events", List.of(Map.of("eventId", "e1",
                "type", "installed", "details", Map.of("log", text(70_000)))))), "details");
        assertRefused(srv.http.post(events, d.token(), Map.of("events", List.of(Map.of("eventId",
                text(Limits.EVENT_ID + 1), "type", "installed")))), "eventId");
        assertThat(srv.http.get("/api/v1/devices/" + d.id() + "/events", srv.adminToken).json().path("items")).isEmpty();

        ObjectNode manifest = d.manifest(d.id(), "fw-1.bin");
        manifest.put("padding", text(70_000));
        assertRefused(d.checkIn(srv.http, d.envelope(manifest), null), "signed");
        assertThat(srv.http.get("/api/v1/devices/" + d.id(), srv.adminToken).json().path("manifest").isNull()).isTrue();

        assertThat(auditEntries()).as("nothing changed").isEqualTo(audit);
        assertThat(srv.http.get("/api/v1/devices", srv.adminToken).json().path("items")).hasSize(1);
        assertThat(srv.http.get("/api/v1/enrollment-tokens", srv.adminToken).json().path("items").findValuesAsText("uses"))
                .as("a refused enrollment uses nothing up: only the first device's enrollment counts")
                .containsExactlyInAnyOrder("1", "0");
    }

    @StoreTest
    void whatTheDatabaseRefusesIsTheClientsFaultNotA500(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            Throwable tooLong = catchThrowable(() -> jdbi.useHandle(h -> h.execute("INSERT INTO api_tokens"
                    + " (id, name, role_name, secret_hash, created_at) VALUES ('t', ?, 'viewer', 'h', 0)",
                    text(Limits.NAME + 1))));
            ApiException refused = ErrorMapping.databaseRefusal(tooLong);
            assertThat(refused).as(String.valueOf(tooLong)).isNotNull();
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.getMessage()).contains("longer than the server stores");

            jdbi.useHandle(h -> h.execute("INSERT INTO server_bootstrap (id, created_at) VALUES (1, 0)"));
            Throwable duplicate = catchThrowable(() -> jdbi.useHandle(h -> h.execute(
                    "INSERT INTO server_bootstrap (id, created_at) VALUES (1, 0)")));
            assertThat(ErrorMapping.databaseRefusal(duplicate).status()).isEqualTo(409);
            Throwable orphan = catchThrowable(() -> jdbi.useHandle(h -> h.execute(
                    "INSERT INTO device_tags (device_id, tag) VALUES ('dev_none', 'lab')")));
            assertThat(ErrorMapping.databaseRefusal(orphan).status()).isEqualTo(409);
            Throwable missing = catchThrowable(() -> jdbi.useHandle(h -> h.execute(
                    "INSERT INTO server_bootstrap (id, created_at) VALUES (2, NULL)")));
            assertThat(ErrorMapping.databaseRefusal(missing).status()).isEqualTo(400);
            assertThat(ErrorMapping.databaseRefusal(new IllegalStateException("a bug"))).isNull();
        }
    }
}
