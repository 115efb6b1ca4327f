package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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

    @Test
    void decommissioningLocksOutADeviceThatWasJustCheckingInIdle() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.img"));
        String etag = d.checkIn(http(), envelope, null).header("ETag").orElseThrow();
        for (int i = 0; i < 3; i++) {
            assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(304);
        }
        assertThat(http().post("/api/v1/devices/" + d.id() + "/decommission", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        assertThat(d.checkIn(http(), envelope, etag).status()).isEqualTo(401);
        assertThat(d.checkIn(http(), envelope, null).status()).isEqualTo(401);
    }
}
