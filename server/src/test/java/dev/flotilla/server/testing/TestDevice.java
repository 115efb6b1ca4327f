package dev.flotilla.server.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.devices.DeviceAuth;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;

/** A device as the server sees it: a key pair it made itself, and the calls it makes. */
public final class TestDevice {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final KeyType type;
    private final KeyPair keys;
    private String id;
    private String token;

    public TestDevice(KeyType type) {
        this.type = type;
        try {
            KeyPairGenerator g;
            if (type == KeyType.ED25519) {
                g = KeyPairGenerator.getInstance("Ed25519");
            } else {
                g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
            }
            this.keys = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public ObjectNode publicKeyJson() {
        return Key.of(type, keys.getPublic()).toJson();
    }

    public String keyId() {
        return Key.of(type, keys.getPublic()).keyId();
    }

    public String id() {
        return id;
    }

    public String token() {
        return token;
    }

    public byte[] sign(byte[] data) {
        return Signatures.sign(type, keys.getPrivate(), data);
    }

    /** Enrolls with an enrollment token (or none, for a pre-registered key); remembers the id on 201. */
    public Http.Response enroll(Http http, String enrollmentToken, String hardwareId) {
        ObjectNode body = MAPPER.createObjectNode();
        if (enrollmentToken != null) {
            body.put("enrollmentToken", enrollmentToken);
        }
        body.set("publicKey", publicKeyJson());
        body.put("hardwareId", hardwareId);
        body.putObject("attributes").put("serial", "SN-" + keyId().substring(0, 8));
        Http.Response r = http.post("/api/v1/device/enroll", null, body);
        if (r.status() == 201) {
            id = r.json().path("id").asText();
        }
        return r;
    }

    /** Challenge, sign, exchange: remembers the device token on success. */
    public Http.Response login(Http http) {
        Http.Response challenge = http.post("/api/v1/device/" + id + "/challenge", null, Map.of());
        if (challenge.status() != 200) {
            return challenge;
        }
        String nonce = challenge.json().path("nonce").asText();
        String sig = Hex.encode(sign(DeviceAuth.challengeBytes(id, nonce)));
        Http.Response r = http.post("/api/v1/device/" + id + "/token", null, Map.of("nonce", nonce, "signature", sig));
        if (r.status() == 200) {
            token = r.json().path("token").asText();
        }
        return r;
    }

    /** A nonce for the enrollment proof ({@code POST /api/v1/device/enroll-challenge} with this key). */
    public String enrollmentNonce(Http http) {
        Http.Response r = http.post("/api/v1/device/enroll-challenge", null, Map.of("publicKey", publicKeyJson()));
        if (r.status() != 200) {
            throw new IllegalStateException("enroll-challenge failed: " + r.text());
        }
        return r.json().path("nonce").asText();
    }

    /** Sends {@code signature} (over the proof bytes of {@code nonce}) to enroll-proof; remembers the id on 200. */
    public Http.Response proveEnrolled(Http http, String nonce, byte[] signature) {
        Http.Response r = http.post("/api/v1/device/enroll-proof", null,
                Map.of("publicKey", publicKeyJson(), "nonce", nonce, "signature", Hex.encode(signature)));
        if (r.status() == 200) {
            id = r.json().path("id").asText();
        }
        return r;
    }

    /** Asks which device this key enrolled as, proving the key: enroll-challenge, sign, enroll-proof. */
    public Http.Response proveEnrolled(Http http) {
        String nonce = enrollmentNonce(http);
        return proveEnrolled(http, nonce, sign(DeviceAuth.enrollmentProofBytes(keyId(), nonce)));
    }

    /** A manifest for {@code deviceId} (normally this device's own id). */
    public ObjectNode manifest(String deviceId, String target) {
        ObjectNode m = MAPPER.createObjectNode();
        m.put("deviceId", deviceId);
        m.put("installedTarget", target);
        m.putObject("hashes").put("sha256", "00".repeat(32));
        m.put("slot", "a");
        m.put("securityVersion", 3);
        m.put("trustedRootVersion", 1);
        m.put("agentVersion", "0.1.0");
        m.put("bootState", "committed");
        m.put("healthState", "healthy");
        return m;
    }

    /** A manifest envelope signed with this device's key. */
    public ObjectNode envelope(ObjectNode manifest) {
        ObjectNode env = MAPPER.createObjectNode();
        env.set("signed", manifest);
        ObjectNode sig = env.putArray("signatures").addObject();
        sig.put("keyid", keyId());
        sig.put("sig", Hex.encode(sign(CanonicalJson.encode(manifest))));
        return env;
    }

    public Http.Response checkIn(Http http, ObjectNode envelope, String ifNoneMatch) {
        Map<String, String> headers = ifNoneMatch == null ? Map.of() : Map.of("If-None-Match", ifNoneMatch);
        return http.send("POST", "/api/v1/device/" + id + "/checkin", token, envelope, headers);
    }
}
