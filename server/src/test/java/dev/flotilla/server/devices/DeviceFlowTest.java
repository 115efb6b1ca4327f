package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
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
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Devices over real HTTP: enrollment, challenge/response, check-in, events, and what is refused. */
class DeviceFlowTest {
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

    private int auditCount() {
        return srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size();
    }

    private JsonNode deviceView(String id) {
        return http().get("/api/v1/devices/" + id, srv.adminToken).json();
    }

    @StoreTest
    void enrollChallengeCheckInAndEventsEndToEnd(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = new TestDevice(KeyType.ED25519);
        Http.Response enrolled = d.enroll(http(), srv.enrollmentToken(srv.adminToken), "board-a");
        assertThat(enrolled.status()).isEqualTo(201);
        assertThat(enrolled.json().path("status").asText()).isEqualTo("active");
        assertThat(enrolled.json().path("keyId").asText()).isEqualTo(d.keyId());
        assertThat(d.login(http()).status()).isEqualTo(200);

        ObjectNode envelope = d.envelope(d.manifest(d.id(), "firmware-1.0.0.img"));
        Http.Response first = d.checkIn(http(), envelope, null);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().has("assignment")).isTrue();
        assertThat(first.json().path("assignment").isNull()).isTrue();
        assertThat(first.json().path("pollIntervalSeconds").asLong()).isBetween(300L, 360L);
        String etag = first.header("ETag").orElseThrow();

        Http.Response idle = d.checkIn(http(), envelope, etag);
        assertThat(idle.status()).isEqualTo(304);
        assertThat(idle.text()).isEmpty();

        Http.Response changed = d.checkIn(http(), d.envelope(d.manifest(d.id(), "firmware-1.1.0.img")), etag);
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.header("ETag").orElseThrow()).isNotEqualTo(etag);

        Map<String, Object> events = Map.of("events", List.of(
                Map.of("eventId", "ev-1", "type", "download_progress", "details", Map.of("percent", 50)),
                Map.of("eventId", "ev-2", "type", "installed")));
        Http.Response sent = http().post("/api/v1/device/" + d.id() + "/events", d.token(), events);
        assertThat(sent.json().path("accepted").asInt()).isEqualTo(2);
        Http.Response resent = http().post("/api/v1/device/" + d.id() + "/events", d.token(), events);
        assertThat(resent.json().path("duplicates").asInt()).isEqualTo(2);

        JsonNode seen = http().get("/api/v1/devices/" + d.id() + "/events", srv.adminToken).json().path("items");
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).path("details").path("percent").asInt()).isEqualTo(50);
        JsonNode view = deviceView(d.id());
        assertThat(view.path("manifest").path("installedTarget").asText()).isEqualTo("firmware-1.1.0.img");
        assertThat(view.path("device").path("lastSeenAt").isTextual()).isTrue();
        JsonNode audit = http().get("/api/v1/audit", srv.adminToken).json().path("items");
        assertThat(audit.findValuesAsText("action")).contains("device.enroll", "enrollment-token.create");
    }

    @StoreTest
    void theDeviceRecordShowsSinceWhenADevicesMetadataIsFrozenAndABadTimeIsRefused(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = new TestDevice(KeyType.ED25519);
        d.enroll(http(), srv.enrollmentToken(srv.adminToken), "board-a");
        d.login(http());
        ObjectNode frozen = d.manifest(d.id(), "firmware-1.0.0.img").put("metadataFrozenSince", "2026-12-01T10:00:00Z");
        assertThat(d.checkIn(http(), d.envelope(frozen), null).status()).isEqualTo(200);

        Http.Response bad = d.checkIn(http(), d.envelope(d.manifest(d.id(), "firmware-1.0.0.img")
                .put("metadataFrozenSince", "last tuesday")), null);

        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("message").asText())
                .isEqualTo("manifest field 'metadataFrozenSince' must be an ISO-8601 instant, got 'last tuesday'");
        assertThat(deviceView(d.id()).path("manifest").path("metadataFrozenSince").asText())
                .isEqualTo("2026-12-01T10:00:00Z");
        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "firmware-1.0.0.img")), null).status())
                .isEqualTo(200);
        assertThat(deviceView(d.id()).path("manifest").has("metadataFrozenSince")).as("fresh again").isFalse();
    }

    @Test
    void ecdsaP256DeviceChecksIn() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ECDSA_P256, "board-e");
        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "x.img")), null).status()).isEqualTo(200);
    }

    @Test
    void deviceCannotTouchAnotherDevicesData() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice a = srv.device(KeyType.ED25519, "board-a");
        TestDevice b = srv.device(KeyType.ED25519, "board-a");
        Map<String, Object> events = Map.of("events", List.of(Map.of("eventId", "x", "type", "failed")));

        Http.Response onB = http().send("POST", "/api/v1/device/" + b.id() + "/checkin", a.token(),
                a.envelope(a.manifest(b.id(), "evil.img")), Map.of());
        assertThat(onB.status()).isEqualTo(403);
        assertThat(http().post("/api/v1/device/" + b.id() + "/events", a.token(), events).status()).isEqualTo(403);
        Http.Response claimsB = a.checkIn(http(), a.envelope(a.manifest(b.id(), "evil.img")), null);
        assertThat(claimsB.status()).isEqualTo(403);
        Http.Response replayOfB = a.checkIn(http(), b.envelope(b.manifest(b.id(), "b.img")), null);
        assertThat(replayOfB.status()).isEqualTo(403);

        assertThat(deviceView(b.id()).path("manifest").isNull()).isTrue();
        assertThat(deviceView(a.id()).path("manifest").isNull()).isTrue();
        assertThat(http().get("/api/v1/devices/" + b.id() + "/events", srv.adminToken).json().path("items")).isEmpty();
    }

    @Test
    void decommissionedDeviceIsRefusedEverywhere() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        assertThat(http().post("/api/v1/devices/" + d.id() + "/decommission", srv.adminToken, Map.of()).status())
                .isEqualTo(200);

        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "x.img")), null).status()).isEqualTo(401);
        Http.Response challenge = http().post("/api/v1/device/" + d.id() + "/challenge", null, Map.of());
        assertThat(challenge.status()).isEqualTo(403);
        assertThat(challenge.code()).isEqualTo("device_decommissioned");
        Http.Response again = d.enroll(http(), srv.enrollmentToken(srv.adminToken), "board-a");
        assertThat(again.status()).isEqualTo(409);
    }

    @Test
    void expiredDeviceTokenAndExpiredChallengeAreRefused() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode env = d.envelope(d.manifest(d.id(), "x.img"));
        assertThat(d.checkIn(http(), env, null).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(16));
        Http.Response expired = d.checkIn(http(), env, null);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.code()).isEqualTo("unauthenticated");

        String nonce = http().post("/api/v1/device/" + d.id() + "/challenge", null, Map.of()).json().path("nonce").asText();
        clock.advance(Duration.ofMinutes(3));
        Http.Response late = http().post("/api/v1/device/" + d.id() + "/token", null,
                Map.of("nonce", nonce, "signature", Hex.encode(d.sign(DeviceAuth.challengeBytes(d.id(), nonce)))));
        assertThat(late.status()).isEqualTo(401);
        assertThat(late.code()).isEqualTo("invalid_challenge");
        assertThat(d.login(http()).status()).isEqualTo(200);
        assertThat(d.checkIn(http(), env, null).status()).isEqualTo(200);
    }

    @Test
    void forgedAndMisplacedTokensAreRefused() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        ObjectNode env = d.envelope(d.manifest(d.id(), "x.img"));
        String path = "/api/v1/device/" + d.id() + "/checkin";
        for (String forged : List.of("fld_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", d.token() + "x", srv.adminToken, "")) {
            Http.Response r = http().send("POST", path, forged, env, Map.of());
            assertThat(r.status()).as("token %s", forged).isEqualTo(401);
        }
        assertThat(http().get("/api/v1/devices", d.token()).status()).isEqualTo(401);
        assertThat(deviceView(d.id()).path("manifest").isNull()).isTrue();
    }

    @Test
    void challengeSignedByAnotherKeyIsRefusedAndUsesUpTheNonce() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        TestDevice impostor = new TestDevice(KeyType.ED25519);
        String nonce = http().post("/api/v1/device/" + d.id() + "/challenge", null, Map.of()).json().path("nonce").asText();
        Http.Response forged = http().post("/api/v1/device/" + d.id() + "/token", null,
                Map.of("nonce", nonce, "signature", Hex.encode(impostor.sign(DeviceAuth.challengeBytes(d.id(), nonce)))));
        assertThat(forged.status()).isEqualTo(401);
        assertThat(forged.code()).isEqualTo("bad_signature");
        Http.Response reuse = http().post("/api/v1/device/" + d.id() + "/token", null,
                Map.of("nonce", nonce, "signature", Hex.encode(d.sign(DeviceAuth.challengeBytes(d.id(), nonce)))));
        assertThat(reuse.code()).isEqualTo("invalid_challenge");
    }

    @StoreTest
    void aFloodOfChallengesByOthersCannotLockTheDeviceOut(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        Http.Response early = http().post("/api/v1/device/" + d.id() + "/challenge", null, Map.of());
        for (int i = 0; i < 5 * DeviceAuth.MAX_OPEN_CHALLENGES; i++) {
            Http.Response r = http().post("/api/v1/device/" + d.id() + "/challenge", null, Map.of());
            assertThat(r.status()).as(r.text()).isEqualTo(200);
        }
        assertThat(openChallenges(d.id())).as("bounded").isEqualTo(DeviceAuth.MAX_OPEN_CHALLENGES);
        assertThat(d.login(http()).status()).as("the device's own, newest challenge works").isEqualTo(200);
        String nonce = early.json().path("nonce").asText();
        Http.Response evicted = http().post("/api/v1/device/" + d.id() + "/token", null,
                Map.of("nonce", nonce, "signature", Hex.encode(d.sign(DeviceAuth.challengeBytes(d.id(), nonce)))));
        assertThat(evicted.code()).as("the oldest challenges made room").isEqualTo("invalid_challenge");
    }

    private long openChallenges(String deviceId) {
        return srv.server.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM device_challenges WHERE device_id = :d")
                .bind("d", deviceId).mapTo(Long.class).one());
    }

    @Test
    void badManifestSignatureChangesNothing() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        assertThat(d.checkIn(http(), d.envelope(d.manifest(d.id(), "good.img")), null).status()).isEqualTo(200);
        String lastSeen = deviceView(d.id()).path("device").path("lastSeenAt").asText();
        clock.advance(Duration.ofSeconds(5));

        ObjectNode tampered = d.envelope(d.manifest(d.id(), "good.img"));
        ((ObjectNode) tampered.get("signed")).put("installedTarget", "evil.img");
        TestDevice other = new TestDevice(KeyType.ED25519);
        ObjectNode otherKey = other.envelope(d.manifest(d.id(), "evil.img"));
        for (ObjectNode bad : List.of(tampered, otherKey)) {
            Http.Response r = d.checkIn(http(), bad, null);
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.code()).isEqualTo("bad_signature");
        }
        Http.Response malformed = http().send("POST", "/api/v1/device/" + d.id() + "/checkin", d.token(),
                "{\"signed\": {", Map.of());
        assertThat(malformed.code()).isEqualTo("malformed_json");
        ObjectNode fractional = d.manifest(d.id(), "evil.img");
        fractional.put("uptime", 1.5); // valid JSON, but no canonical form to sign over
        Http.Response refused = http().send("POST", "/api/v1/device/" + d.id() + "/checkin", d.token(),
                "{\"signatures\": [], \"signed\": " + fractional + "}", Map.of());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.code()).isEqualTo("invalid_request");
        assertThat(refused.text()).contains("integers only");
        JsonNode view = deviceView(d.id());
        assertThat(view.path("manifest").path("installedTarget").asText()).isEqualTo("good.img");
        assertThat(view.path("device").path("lastSeenAt").asText()).isEqualTo(lastSeen);
    }

    @Test
    void unknownDeviceAndUnknownEnrollmentTokenChangeNothing() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        int before = auditCount();
        TestDevice d = new TestDevice(KeyType.ED25519);
        Http.Response r = d.enroll(http(), "fle_not-a-real-token", "board-a");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.code()).isEqualTo("invalid_enrollment_token");
        Http.Response noToken = d.enroll(http(), null, "board-a");
        assertThat(noToken.status()).isEqualTo(401);
        Http.Response challenge = http().post("/api/v1/device/dev_unknown/challenge", null, Map.of());
        assertThat(challenge.status()).isEqualTo(404);
        assertThat(http().get("/api/v1/devices/dev_unknown", srv.adminToken).status()).isEqualTo(404);
        assertThat(http().get("/api/v1/devices", srv.adminToken).json().path("items")).isEmpty();
        assertThat(auditCount()).isEqualTo(before);
    }

    @StoreTest
    void aKeyEnrolledWithATokenCannotEnrollWithoutOneAndNothingIsDisclosed(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        int before = auditCount();
        Http.Response unknown = new TestDevice(KeyType.ED25519).enroll(http(), null, "board-a");
        Http.Response known = d.enroll(http(), null, "board-a");
        assertThat(known.status()).isEqualTo(401);
        assertThat(known.text()).as("the same answer as for an unknown key").isEqualTo(unknown.text())
                .doesNotContain(d.id());
        assertThat(http().post("/api/v1/devices/" + d.id() + "/decommission", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        Http.Response decommissioned = d.enroll(http(), null, "board-a");
        assertThat(decommissioned.text()).as("not even its status").isEqualTo(unknown.text());
        assertThat(auditCount()).isEqualTo(before + 1);
    }

    @Test
    void preRegisteredDeviceEnrollsWithoutTokenAndLogsIn() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = new TestDevice(KeyType.ECDSA_P256);
        Http.Response reg = http().post("/api/v1/devices", srv.adminToken,
                Map.of("publicKey", d.publicKeyJson(), "hardwareId", "board-p", "tags", List.of("factory")));
        assertThat(reg.status()).isEqualTo(201);
        Http.Response enrolled = d.enroll(http(), null, "board-p");
        assertThat(enrolled.status()).isEqualTo(201);
        assertThat(enrolled.json().path("id").asText()).isEqualTo(reg.json().path("id").asText());
        assertThat(d.login(http()).status()).isEqualTo(200);
    }

    @Test
    void rsaDeviceKeysAreRefused() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        Map<String, Object> rsa = Map.of("keytype", "rsa", "scheme", "rsassa-pss-sha256",
                "keyval", Map.of("public", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
        Http.Response r = http().post("/api/v1/device/enroll", null, Map.of("enrollmentToken",
                srv.enrollmentToken(srv.adminToken), "publicKey", rsa, "hardwareId", "h"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_key");
    }
}
