package dev.flotilla.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.devices.DeviceAuth;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Two server processes' worth of state on one PostgreSQL database behave as one server. */
class TwoServersTest {
    @TempDir
    Path dirA;
    @TempDir
    Path dirB;

    @Test
    void twoServersOnOnePostgresDatabaseBehaveAsOne() {
        TestDatabase db = BothDatabases.postgres();
        MutableClock clock = new MutableClock();
        try (TestServer a = TestServer.start(db, dirA, clock); TestServer b = TestServer.start(db, dirB, clock)) {
            assertThat(a.adminToken).isNotNull();
            assertThat(b.adminToken).as("only the first start creates an admin token").isNull();

            String operator = a.token(a.adminToken, "operator");
            assertThat(b.http.get("/api/v1/devices", operator).status()).isEqualTo(200);
            assertThat(b.http.get("/api/v1/tokens", a.adminToken).status()).isEqualTo(200);

            TestDevice d = new TestDevice(KeyType.ED25519);
            assertThat(d.enroll(a.http, a.enrollmentToken(operator), "board-a").status()).isEqualTo(201);
            String nonce = a.http.post("/api/v1/device/" + d.id() + "/challenge", null, Map.of()).json().path("nonce").asText();
            Http.Response token = b.http.post("/api/v1/device/" + d.id() + "/token", null,
                    Map.of("nonce", nonce, "signature", Hex.encode(d.sign(DeviceAuth.challengeBytes(d.id(), nonce)))));
            assertThat(token.status()).isEqualTo(200);
            String deviceToken = token.json().path("token").asText();

            ObjectNode env = d.envelope(d.manifest(d.id(), "fw-2.img"));
            Http.Response viaB = b.http.send("POST", "/api/v1/device/" + d.id() + "/checkin", deviceToken, env, Map.of());
            assertThat(viaB.status()).isEqualTo(200);
            Http.Response idleViaA = a.http.send("POST", "/api/v1/device/" + d.id() + "/checkin", deviceToken, env,
                    Map.of("If-None-Match", viaB.header("ETag").orElseThrow()));
            assertThat(idleViaA.status()).isEqualTo(304);
            a.http.post("/api/v1/device/" + d.id() + "/events", deviceToken,
                    Map.of("events", List.of(Map.of("eventId", "e1", "type", "committed"))));

            assertThat(b.http.get("/api/v1/devices/" + d.id(), operator).json().path("manifest").path("installedTarget")
                    .asText()).isEqualTo("fw-2.img");
            assertThat(b.http.get("/api/v1/devices/" + d.id() + "/events", operator).json().path("items")).hasSize(1);

            b.http.post("/api/v1/devices/" + d.id() + "/decommission", operator, Map.of());
            assertThat(a.http.send("POST", "/api/v1/device/" + d.id() + "/checkin", deviceToken, env,
                    Map.of("If-None-Match", viaB.header("ETag").orElseThrow())).status())
                    .as("decommissioned on B: the idle check-in on A is refused at once").isEqualTo(401);
            assertThat(a.http.send("POST", "/api/v1/device/" + d.id() + "/checkin", deviceToken, env, Map.of()).status())
                    .isEqualTo(401);
        }
    }
}
