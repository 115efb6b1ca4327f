package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Device events keep the device's time and the server's; events and the audit log list oldest first or,
 * with {@code order=desc}, newest first, paging either way. Over real HTTP on H2 and PostgreSQL.
 */
class EventTimesAndOrderTest {
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

    private Http.Response send(TestDevice d, Map<String, Object> event) {
        return srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), Map.of("events", List.of(event)));
    }

    private static Map<String, Object> event(String id, Object occurredAt) {
        Map<String, Object> e = new HashMap<>(Map.of("eventId", id, "type", "installed"));
        e.put("occurredAt", occurredAt);
        return e;
    }

    private JsonNode list(String path) {
        Http.Response r = srv.http.get(path, srv.adminToken);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    @StoreTest
    void anEventKeepsTheDevicesTimeAndTheServersReceiveTime(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        assertThat(send(d, event("ev-1", "2026-12-02T17:03:56.120+01:00")).status()).isEqualTo(200);
        assertThat(send(d, Map.of("eventId", "ev-2", "type", "installed")).status()).isEqualTo(200);

        JsonNode items = list("/api/v1/devices/" + d.id() + "/events").path("items");
        assertThat(items.get(0).path("occurredAt").asText()).isEqualTo("2026-12-02T16:03:56.120Z");
        assertThat(items.get(0).path("receivedAt").asText()).isEqualTo(clock.instant().truncatedTo(
                java.time.temporal.ChronoUnit.MILLIS).toString());
        assertThat(items.get(1).path("occurredAt").isNull()).as("none sent").isTrue();
        assertThat(items.get(1).path("receivedAt").isTextual()).isTrue();
    }

    @StoreTest
    void aBadOccurredAtIsRefusedAndNothingIsStored(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        for (Object bad : List.of("yesterday", "2026-12-02T16:03:56", "2026-13-02T16:03:56Z", 1764691436,
                "2026-12-02T16:03:56.120000000000000000000000000000000000000000000000000000000000000Z")) {
            Map<String, Object> batch = Map.of("events", List.of(Map.of("eventId", "ok", "type", "installed"),
                    event("bad", bad)));
            Http.Response r = srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);
            assertThat(r.status()).as("occurredAt %s", bad).isEqualTo(400);
            assertThat(r.code()).isEqualTo("invalid_request");
            assertThat(r.json().path("message").asText()).contains("occurredAt");
        }
        assertThat(list("/api/v1/devices/" + d.id() + "/events").path("items")).isEmpty();
    }

    @StoreTest
    void eventsAndTheAuditLogPageNewestFirst(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        for (int i = 1; i <= 7; i++) {
            assertThat(send(d, Map.of("eventId", "ev-" + i, "type", "installed")).status()).isEqualTo(200);
        }
        String base = "/api/v1/devices/" + d.id() + "/events";
        assertThat(pages(base + "?order=desc&limit=3")).containsExactly("ev-7", "ev-6", "ev-5", "ev-4", "ev-3", "ev-2", "ev-1");
        JsonNode first = list(base + "?order=desc&limit=3");
        assertThat(first.path("nextOffset").asInt()).isEqualTo(3);
        assertThat(list(base + "?order=desc&limit=3&offset=6").path("nextOffset").isNull()).isTrue();
        assertThat(pages(base + "?limit=3")).containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6", "ev-7");
        assertThat(pages(base + "?order=asc&limit=3")).containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6", "ev-7");

        for (int i = 0; i < 4; i++) {
            srv.token(srv.adminToken, "viewer");
        }
        List<String> asc = pages("/api/v1/audit?limit=2", "seq");
        List<String> desc = pages("/api/v1/audit?order=desc&limit=2", "seq");
        assertThat(asc).hasSizeGreaterThan(5);
        assertThat(desc).isEqualTo(asc.reversed());

        for (String path : List.of(base + "?order=newest", "/api/v1/audit?order=DESC&limit=2")) {
            Http.Response r = srv.http.get(path, srv.adminToken);
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.json().path("message").asText()).contains("'order'");
        }
    }

    private List<String> pages(String path) {
        return pages(path, "eventId");
    }

    /** Every page of a listing, following {@code nextOffset}: the {@code field} of each item in order. */
    private List<String> pages(String path, String field) {
        List<String> out = new ArrayList<>();
        int offset = 0;
        while (true) {
            JsonNode page = list(path + "&offset=" + offset);
            page.path("items").forEach(i -> out.add(i.path(field).asText()));
            if (page.path("nextOffset").isNull()) {
                return out;
            }
            offset = page.path("nextOffset").asInt();
        }
    }
}
