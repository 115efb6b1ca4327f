package dev.flotilla.server.enrollment;

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
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Enrollment tokens over HTTP: a number of uses and an expiry by default; fleet-wide only when asked for. */
class EnrollmentTokensTest {
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

    private JsonNode create(Map<String, Object> body) {
        Http.Response r = srv.http.post("/api/v1/enrollment-tokens", srv.adminToken, body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json();
    }

    private int enroll(String secret) {
        return new TestDevice(KeyType.ED25519).enroll(srv.http, secret, "board-a").status();
    }

    private JsonNode listed(String id) {
        for (JsonNode t : srv.http.get("/api/v1/enrollment-tokens", srv.adminToken).json().path("items")) {
            if (t.path("id").asText().equals(id)) {
                return t;
            }
        }
        throw new AssertionError("token " + id + " not listed");
    }

    @StoreTest
    void aTokenEnrollsOneDeviceAndExpiresInAWeekUnlessToldOtherwise(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        JsonNode single = create(Map.of("description", "one board"));
        assertThat(single.path("token").path("maxUses").asLong()).isEqualTo(1);
        assertThat(single.path("token").path("expiresAt").asText())
                .isEqualTo(java.time.Instant.ofEpochMilli(clock.millis()).plus(Duration.ofDays(7)).toString());
        String secret = single.path("secret").asText();
        assertThat(enroll(secret)).isEqualTo(201);
        Http.Response usedUp = new TestDevice(KeyType.ED25519).enroll(srv.http, secret, "board-a");
        assertThat(usedUp.status()).isEqualTo(401);
        assertThat(usedUp.code()).isEqualTo("invalid_enrollment_token");
        assertThat(listed(single.path("token").path("id").asText()).path("uses").asInt()).isEqualTo(1);

        JsonNode three = create(Map.of("description", "line 2", "maxUses", 3, "validForSeconds", 3600));
        String s3 = three.path("secret").asText();
        assertThat(enroll(s3)).isEqualTo(201);
        assertThat(enroll(s3)).isEqualTo(201);
        clock.advance(Duration.ofHours(2));
        assertThat(enroll(s3)).as("expired, though a use is left").isEqualTo(401);
        assertThat(listed(three.path("token").path("id").asText()).path("uses").asInt()).isEqualTo(2);
        assertThat(srv.http.get("/api/v1/devices", srv.adminToken).json().path("items")).hasSize(3);
    }

    @StoreTest
    void aFleetWideTokenHasNoLimitOnUsesAndMustBeAskedFor(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        JsonNode fleet = create(Map.of("description", "factory", "fleetWide", true));
        assertThat(fleet.path("token").path("maxUses").isNull()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(enroll(fleet.path("secret").asText())).isEqualTo(201);
        }
        assertThat(listed(fleet.path("token").path("id").asText()).path("uses").asInt()).isEqualTo(3);

        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("description", "x", "fleetWide", true, "maxUses", 5), Map.of("description", "x", "maxUses", 0),
                Map.of("description", "x", "maxUses", Long.MAX_VALUE), Map.of("description", "x", "fleetWide", "yes"))) {
            Http.Response r = srv.http.post("/api/v1/enrollment-tokens", srv.adminToken, bad);
            assertThat(r.status()).as(bad + ": " + r.text()).isEqualTo(400);
        }
        assertThat(srv.http.get("/api/v1/enrollment-tokens", srv.adminToken).json().path("items")).hasSize(1);
    }
}
