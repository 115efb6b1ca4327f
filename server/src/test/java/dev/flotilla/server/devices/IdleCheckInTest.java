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
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The idle check-in path: {@code lastSeenAt} written behind but exact for operators, and lock-out. */
class IdleCheckInTest {
    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock();
    TestServer srv;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    private Http http() {
        return srv.http;
    }

    private String lastSeenInView(String id) {
        return http().get("/api/v1/devices/" + id, srv.adminToken).json().path("device").path("lastSeenAt").asText();
    }

    private String lastSeenInList(String id) {
        for (JsonNode d : http().get("/api/v1/devices?limit=500", srv.adminToken).json().path("items")) {
            if (d.path("id").asText().equals(id)) {
                return d.path("lastSeenAt").asText();
            }
        }
        throw new AssertionError("device " + id + " not listed");
    }

    private long storedLastSeen(String id) {
        return srv.server.jdbi().withHandle(h -> h.createQuery("SELECT last_seen_at FROM devices WHERE id = :id")
                .bind("id", id).mapTo(Long.class).one());
    }

    @StoreTest
    void idleCheckInMovesLastSeenAtAsOperatorsSeeIt(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.img"));
        Http.Response first = d.checkIn(http(), envelope, null);
        assertThat(first.status()).isEqualTo(200);
        String etag = first.header("ETag").orElseThrow();
        Instant firstSeen = Instant.ofEpochMilli(clock.millis());
        assertThat(lastSeenInView(d.id())).isEqualTo(firstSeen.toString());

        clock.advance(Duration.ofSeconds(30));
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        Instant idleSeen = Instant.ofEpochMilli(clock.millis());
        assertThat(lastSeenInView(d.id())).isEqualTo(idleSeen.toString());

        clock.advance(Duration.ofSeconds(30));
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        assertThat(lastSeenInList(d.id())).isEqualTo(Instant.ofEpochMilli(clock.millis()).toString());
        assertThat(storedLastSeen(d.id())).isEqualTo(clock.millis());
    }

    @StoreTest
    void pendingIdleTimeNeverMovesLastSeenAtBackwards(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.img"));
        String etag = d.checkIn(http(), envelope, null).header("ETag").orElseThrow();
        LastSeen lastSeen = new LastSeen(srv.server.jdbi());
        long older = clock.millis() - 60_000;
        lastSeen.record(d.id(), older);
        lastSeen.record(d.id(), older - 1); // an earlier time for the same device is absorbed
        assertThat(lastSeen.pending()).isEqualTo(1);
        assertThat(lastSeen.flush()).isEqualTo(1);
        assertThat(lastSeen.pending()).isZero();
        assertThat(storedLastSeen(d.id())).isEqualTo(clock.millis());

        clock.advance(Duration.ofSeconds(10));
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        lastSeen.record(d.id(), clock.millis() + 5_000);
        lastSeen.flush();
        assertThat(storedLastSeen(d.id())).isEqualTo(clock.millis() + 5_000);
        assertThat(lastSeen.flush()).isZero();
    }

    @StoreTest
    void decommissioningLocksOutADeviceThatWasJustCheckingInIdle(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.img"));
        String etag = d.checkIn(http(), envelope, null).header("ETag").orElseThrow();
        for (int i = 0; i < 3; i++) {
            assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        }
        assertThat(http().post("/api/v1/devices/" + d.id() + "/decommission", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        Http.Response idle = d.checkIn(http(), envelope, etag);
        assertThat(idle.status()).isEqualTo(401);
        assertThat(idle.code()).isEqualTo("unauthenticated");
        assertThat(d.checkIn(http(), envelope, null).status()).isEqualTo(401);
    }

    /** The idle path authenticates with its own one-query lookup: the same 401 and 403 as every device route. */
    @StoreTest
    void idleCheckInRefusesExpiredUnknownAndForeignTokens(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice a = srv.device(KeyType.ED25519, "board-a");
        TestDevice b = srv.device(KeyType.ED25519, "board-b");
        ObjectNode envA = a.envelope(a.manifest(a.id(), "fw-1.img"));
        String etagA = a.checkIn(http(), envA, null).header("ETag").orElseThrow();
        assertThat(a.checkIn(http(), envA, etagA).status()).isEqualTo(304);

        // another device's valid token on this device's check-in: 403, nothing recorded for either
        Http.Response foreign = http().send("POST", "/api/v1/device/" + a.id() + "/checkin", b.token(), envA,
                Map.of("If-None-Match", etagA));
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.code()).isEqualTo("forbidden");
        // a well-formed token nobody holds, and one without the device-token prefix: 401
        for (String bogus : new String[] {"fld_" + "0".repeat(40), "not-a-device-token", a.token() + "x"}) {
            Http.Response r = http().send("POST", "/api/v1/device/" + a.id() + "/checkin", bogus, envA,
                    Map.of("If-None-Match", etagA));
            assertThat(r.status()).as(bogus).isEqualTo(401);
            assertThat(r.code()).isEqualTo("unauthenticated");
        }
        // the operator's token is no device token
        assertThat(http().send("POST", "/api/v1/device/" + a.id() + "/checkin", srv.adminToken, envA,
                Map.of("If-None-Match", etagA)).status()).isEqualTo(401);

        // the token expires (15 minutes by default): refused at the first idle check-in after that instant
        clock.advance(Duration.ofMinutes(15).minusSeconds(1));
        assertThat(a.checkIn(http(), envA, etagA).status()).isEqualTo(304);
        clock.advance(Duration.ofSeconds(1));
        Http.Response expired = a.checkIn(http(), envA, etagA);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.code()).isEqualTo("unauthenticated");
        // a fresh login works again, and the ETag still matches (nothing changed)
        assertThat(a.login(http()).status()).isEqualTo(200);
        assertThat(a.checkIn(http(), envA, etagA).status()).isEqualTo(304);
    }

    /** Before the first manifest is stored, an If-None-Match cannot match: the full path stores it. */
    @StoreTest
    void firstCheckInWithAGuessedEtagTakesTheFullPath(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.img"));
        Http.Response first = d.checkIn(http(), envelope, "\"00000000000000000000000000000000\"");
        assertThat(first.status()).isEqualTo(200);
        assertThat(d.checkIn(http(), envelope, first.header("ETag").orElseThrow()).status()).isEqualTo(304);
        assertThat(http().get("/api/v1/devices/" + d.id(), srv.adminToken).json().path("manifest")
                .path("installedTarget").asText()).isEqualTo("fw-1.img");
    }
}
