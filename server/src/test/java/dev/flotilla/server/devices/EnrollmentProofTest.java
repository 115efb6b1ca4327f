package dev.flotilla.server.devices;

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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device that lost the answer to its enrollment (enroll-challenge, enroll-proof) over real HTTP: the holder
 * of the key gets its own device record back, anyone else (who may know the public key) gets nothing.
 */
class EnrollmentProofTest {
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

    private int count(String path) {
        return http().get(path, srv.adminToken).json().path("items").size();
    }

    @StoreTest
    void aDeviceWhoseEnrollmentAnswerWasLostProvesItsKeyAndGetsItsOwnRecord(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = new TestDevice(KeyType.ED25519);
        String token = srv.enrollmentToken(srv.adminToken); // one use
        Http.Response first = d.enroll(http(), token, "board-a");
        assertThat(first.status()).isEqualTo(201);
        String id = first.json().path("id").asText();
        int audits = count("/api/v1/audit?limit=500");

        // the retry of the same enrollment is refused: the one use of the token is spent
        Http.Response retry = d.enroll(http(), token, "board-a");
        assertThat(retry.status()).isEqualTo(401);
        assertThat(retry.code()).isEqualTo("invalid_enrollment_token");

        Http.Response proven = d.proveEnrolled(http());
        assertThat(proven.status()).isEqualTo(200);
        assertThat(proven.json().path("id").asText()).isEqualTo(id);
        assertThat(proven.json().path("keyId").asText()).isEqualTo(d.keyId());
        assertThat(proven.json().has("token")).isFalse();
        assertThat(d.login(http()).status()).isEqualTo(200);
        assertThat(d.checkIn(http(), d.envelope(d.manifest(id, "fw-1.0.0.img")), null).status()).isEqualTo(200);

        assertThat(count("/api/v1/devices")).isEqualTo(1);
        assertThat(http().get("/api/v1/enrollment-tokens", srv.adminToken).json().path("items").get(0)
                .path("uses").asInt()).isEqualTo(1);
        assertThat(count("/api/v1/audit?limit=500")).as("a proof changes nothing").isEqualTo(audits);
    }

    @Test
    void knowingThePublicKeyGetsNothing() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        TestDevice impostor = new TestDevice(KeyType.ED25519);

        String nonce = d.enrollmentNonce(http());
        Http.Response forged = d.proveEnrolled(http(), nonce,
                impostor.sign(DeviceAuth.enrollmentProofBytes(d.keyId(), nonce)));
        assertThat(forged.status()).isEqualTo(401);
        assertThat(forged.code()).isEqualTo("invalid_proof");
        assertThat(forged.text()).doesNotContain(d.id());
        // the nonce is used up by the failed attempt: even the right signature no longer works with it
        Http.Response replay = d.proveEnrolled(http(), nonce,
                d.sign(DeviceAuth.enrollmentProofBytes(d.keyId(), nonce)));
        assertThat(replay.code()).isEqualTo("invalid_proof");
        // a login signature (another payload) is no proof either
        String other = d.enrollmentNonce(http());
        assertThat(d.proveEnrolled(http(), other, d.sign(DeviceAuth.challengeBytes(d.id(), other))).code())
                .isEqualTo("invalid_proof");

        // an unknown key: the challenge looks the same, the proof gets the same answer as a forged one
        Http.Response unknownChallenge = http().post("/api/v1/device/enroll-challenge", null,
                Map.of("publicKey", impostor.publicKeyJson()));
        assertThat(unknownChallenge.status()).isEqualTo(200);
        assertThat(unknownChallenge.json().path("nonce").asText()).hasSize(nonce.length());
        assertThat(unknownChallenge.json().path("expiresAt").isTextual()).isTrue();
        Http.Response unknown = impostor.proveEnrolled(http());
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.json()).isEqualTo(forged.json());

        // an expired nonce is refused; a fresh one works
        String late = d.enrollmentNonce(http());
        clock.advance(Duration.ofMinutes(3));
        assertThat(d.proveEnrolled(http(), late, d.sign(DeviceAuth.enrollmentProofBytes(d.keyId(), late))).code())
                .isEqualTo("invalid_proof");
        assertThat(d.proveEnrolled(http()).status()).isEqualTo(200);
    }

    @Test
    void aDecommissionedDeviceLearnsItOnlyAfterProvingItsKey() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ECDSA_P256, "board-a");
        assertThat(http().post("/api/v1/devices/" + d.id() + "/decommission", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        String nonce = d.enrollmentNonce(http());
        Http.Response forged = d.proveEnrolled(http(), nonce,
                new TestDevice(KeyType.ECDSA_P256).sign(DeviceAuth.enrollmentProofBytes(d.keyId(), nonce)));
        assertThat(forged.code()).isEqualTo("invalid_proof");
        Http.Response proven = d.proveEnrolled(http());
        assertThat(proven.status()).isEqualTo(403);
        assertThat(proven.code()).isEqualTo("device_decommissioned");
    }

    @Test
    void aMalformedProofIsOneLineAndChangesNothing() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        Http.Response notHex = http().post("/api/v1/device/enroll-proof", null,
                Map.of("publicKey", d.publicKeyJson(), "nonce", d.enrollmentNonce(http()), "signature", "zz"));
        assertThat(notHex.status()).isEqualTo(400);
        assertThat(notHex.json().path("message").asText()).isEqualTo("signature must be hex");
        Http.Response noKey = http().post("/api/v1/device/enroll-challenge", null, Map.of("publicKey", "x"));
        assertThat(noKey.status()).isEqualTo(400);
        assertThat(noKey.code()).isEqualTo("invalid_key");
    }
}
