package dev.flotilla.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tuf.Signer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The device side of the server's device API (docs/server.md): enrollment (and the proof of an enrollment
 * whose answer was lost), challenge/response login,
 * signed-manifest check-in with ETag / If-None-Match, and events. The device token is obtained lazily and
 * renewed once when the server answers 401.
 *
 * <p>Errors: {@link IOException} when the server cannot be reached, answers 5xx or garbage, answers more
 * than {@link #MAX_ANSWER_BYTES} or does not finish its answer in time;
 * {@link ServerRefusal} (also an IOException) for a 4xx with the server's error code.
 */
public final class ServerClient {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final DeviceHttp http;
    private final Duration timeout;
    private String deviceId;
    private Signer signer;
    private SignedManifest lastSigned;
    private String token;
    private String etag;
    private CheckIn lastAnswer;

    /**
     * The longest check-in interval the agent takes from a server (24 hours): a longer
     * {@code pollIntervalSeconds} is read as this, so no answer can silence the device for longer.
     */
    public static final Duration MAX_POLL_INTERVAL = Duration.ofHours(24);

    /**
     * The longest answer the agent reads from the server's device API (1 MiB; an answer holds at most one
     * signed assignment): a longer one is dropped after this many bytes and fails like an unreachable server,
     * so no answer can make the agent buffer until its heap runs out. An answer's body must also end within
     * the request timeout of its headers, so that no answer can hold the agent forever.
     */
    public static final int MAX_ANSWER_BYTES = 1 << 20;

    /**
     * The check-in answer: the assignment as sent (JSON, or null) and the server's poll interval (at most
     * {@link #MAX_POLL_INTERVAL}).
     */
    public record CheckIn(JsonNode assignment, Optional<Duration> pollInterval, boolean notModified) {
    }

    /**
     * A 4xx answer: the request was refused. {@link #duringLogin()} tells a refusal of the device's
     * login (challenge or token: unknown or decommissioned device, rate limit) from one of the request.
     */
    public static final class ServerRefusal extends IOException {
        private final int status;
        private final String code;
        private final String serverMessage;
        private final boolean duringLogin;

        public ServerRefusal(int status, String code, String message) {
            this(status, code, message, false);
        }

        private ServerRefusal(int status, String code, String message, boolean duringLogin) {
            super("server refused " + (duringLogin ? "the login " : "") + "(" + status + " " + code + "): " + message);
            this.status = status;
            this.code = code;
            this.serverMessage = message;
            this.duringLogin = duringLogin;
        }

        /** The server's message, without the status and code. */
        public String serverMessage() {
            return serverMessage;
        }

        /** Whether the login before the request was refused (the request itself was not sent). */
        public boolean duringLogin() {
            return duringLogin;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }

        /** Whether the server refused because this device is decommissioned (403 {@code device_decommissioned}). */
        public boolean decommissioned() {
            return status == 403 && "device_decommissioned".equals(code);
        }
    }

    public ServerClient(URI base, DeviceHttp http) {
        this(base, http, TIMEOUT);
    }

    /**
     * A client whose requests each get {@code timeout} for the answer's headers and as much again for its body
     * (30 s each with the other constructor); an answer that takes longer fails like an unreachable server.
     */
    public ServerClient(URI base, DeviceHttp http, Duration timeout) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.http = http;
        this.timeout = timeout;
    }

    /**
     * The device key's signature over a manifest's canonical bytes. An idle device sends the same manifest at
     * every check-in, so the last signature is kept and reused while the bytes and the key are the same (an
     * Ed25519 signature would come out identical; any other is as valid), which spares a board the
     * private-key operation at each poll.
     */
    private String manifestSignature(byte[] canonical) {
        Signer key = signer;
        SignedManifest last = lastSigned;
        if (last != null && last.key() == key && Arrays.equals(last.canonical(), canonical)) {
            return last.signature();
        }
        String signature = Hex.encode(key.sign(canonical));
        lastSigned = new SignedManifest(key, canonical, signature);
        return signature;
    }

    /** The last manifest signed: by which signer, its canonical bytes and the signature (hex). */
    private record SignedManifest(Signer key, byte[] canonical, String signature) {
    }

    /** Sets who this device is (after enrollment). */
    public void identity(String id, Signer key) {
        this.deviceId = id;
        this.signer = key;
        this.token = null;
    }

    public String deviceId() {
        return deviceId;
    }

    /**
     * Enrolls a public key; returns the device id.
     *
     * @param enrollmentToken may be null for a key registered in advance
     */
    public String enroll(String enrollmentToken, ObjectNode publicKey, String hardwareId, ObjectNode attributes)
            throws IOException {
        ObjectNode body = NODES.objectNode();
        if (enrollmentToken != null) {
            body.put("enrollmentToken", enrollmentToken);
        }
        body.set("publicKey", publicKey);
        body.put("hardwareId", hardwareId);
        body.set("attributes", attributes);
        JsonNode r = expect(send("POST", "api/v1/device/enroll", null, body, null), 201);
        String id = r.path("id").asText("");
        if (id.isEmpty()) {
            throw new IOException("enrollment answer has no device id");
        }
        return id;
    }

    /**
     * The id of the device already enrolled with {@code key}, for a device that lost the answer to its
     * enrollment: asks for a nonce by the public key, signs {@code "flotilla-device-enroll:" + keyId + ":" +
     * nonce} and sends it back. The server answers only the holder of the key.
     *
     * @throws ServerRefusal 401 {@code invalid_proof} when no device holds the key (or the proof failed); 403
     *                       {@code device_decommissioned}
     */
    public String enrolledId(Signer key) throws IOException {
        ObjectNode publicKey = key.publicKey().toJson();
        JsonNode c = expect(send("POST", "api/v1/device/enroll-challenge", null,
                NODES.objectNode().set("publicKey", publicKey), null), 200);
        String nonce = c.path("nonce").asText("");
        if (nonce.isEmpty()) {
            throw new IOException("enrollment challenge answer has no nonce");
        }
        byte[] payload = ("flotilla-device-enroll:" + key.keyId() + ":" + nonce).getBytes(StandardCharsets.UTF_8);
        ObjectNode proof = NODES.objectNode();
        proof.set("publicKey", publicKey);
        proof.put("nonce", nonce).put("signature", Hex.encode(key.sign(payload)));
        String id = expect(send("POST", "api/v1/device/enroll-proof", null, proof, null), 200).path("id").asText("");
        if (id.isEmpty()) {
            throw new IOException("enrollment proof answer has no device id");
        }
        return id;
    }

    /**
     * Challenge, sign, exchange: a fresh device token. When the exchange is refused as {@code invalid_challenge}
     * (its answer was lost on the way after the server had used the challenge, and the repeat found it used), the
     * login starts over once with a fresh challenge.
     */
    public void login() throws IOException {
        requireIdentity();
        try {
            exchange();
        } catch (ServerRefusal r) {
            if (!"invalid_challenge".equals(r.code())) {
                throw r;
            }
            exchange();
        }
    }

    private void exchange() throws IOException {
        JsonNode c = expect(send("POST", "api/v1/device/" + deviceId + "/challenge", null, NODES.objectNode(),
                null), 200);
        String nonce = c.path("nonce").asText("");
        if (nonce.isEmpty()) {
            throw new IOException("challenge answer has no nonce");
        }
        byte[] payload = ("flotilla-device-auth:" + deviceId + ":" + nonce).getBytes(StandardCharsets.UTF_8);
        ObjectNode answer = NODES.objectNode().put("nonce", nonce).put("signature", Hex.encode(signer.sign(payload)));
        JsonNode t = expect(send("POST", "api/v1/device/" + deviceId + "/token", null, answer, null), 200);
        String tok = t.path("token").asText("");
        if (tok.isEmpty()) {
            throw new IOException("token answer has no token");
        }
        token = tok;
    }

    /**
     * Checks in with a manifest, signed here with the device key. When the server answers 304 (nothing
     * changed since the last answer), the last answer is returned with {@code notModified}.
     */
    public CheckIn checkIn(ObjectNode manifest) throws IOException {
        ObjectNode envelope = NODES.objectNode();
        envelope.set("signed", manifest);
        ArrayNode sigs = envelope.putArray("signatures");
        sigs.addObject().put("keyid", signer.keyId()).put("sig", manifestSignature(CanonicalJson.encode(manifest)));
        DeviceHttp.Answer r = authed("POST", "api/v1/device/" + deviceId + "/checkin", envelope,
                lastAnswer == null ? null : etag);
        if (r.status() == 304 && lastAnswer != null) {
            return new CheckIn(lastAnswer.assignment(), lastAnswer.pollInterval(), true);
        }
        JsonNode body = expect(r, 200);
        if (!body.has("assignment")) {
            throw new IOException("check-in answer has no assignment field");
        }
        JsonNode a = body.get("assignment").isNull() ? null : body.get("assignment");
        JsonNode poll = body.get("pollIntervalSeconds");
        Optional<Duration> interval = poll != null && poll.canConvertToLong() && poll.asLong() > 0
                ? Optional.of(Duration.ofSeconds(Math.min(poll.asLong(), MAX_POLL_INTERVAL.toSeconds())))
                : Optional.empty();
        lastAnswer = new CheckIn(a, interval, false);
        etag = r.etag().orElse(null);
        return lastAnswer;
    }

    /**
     * Posts events ({@code {"events": [...]}}, at most 100).
     *
     * @return true when the server stored them (as new or as duplicates)
     */
    public boolean postEvents(ArrayNode events) throws IOException {
        ObjectNode body = NODES.objectNode();
        body.set("events", events);
        JsonNode r = expect(authed("POST", "api/v1/device/" + deviceId + "/events", body, null), 200);
        return r.path("accepted").asInt(-1) + r.path("duplicates").asInt(-1) == events.size();
    }

    /**
     * The device token for a download from this server: the current one, or a fresh one (challenge and
     * response) when {@code renew} or when there is none yet.
     */
    public String bearer(boolean renew) throws IOException {
        requireIdentity();
        if (renew || token == null) {
            loginForRequest();
        }
        return token;
    }

    /** Whether {@code url} is on this server (scheme, host and port): only there may the device token go. */
    public boolean serves(URI url) {
        return base.getScheme().equalsIgnoreCase(url.getScheme()) && base.getHost().equalsIgnoreCase(url.getHost())
                && port(base) == port(url);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private DeviceHttp.Answer authed(String method, String path, JsonNode body, String ifNoneMatch)
            throws IOException {
        requireIdentity();
        if (token == null) {
            loginForRequest();
        }
        DeviceHttp.Answer r = send(method, path, token, body, ifNoneMatch);
        if (r.status() == 401) {
            loginForRequest();
            r = send(method, path, token, body, ifNoneMatch);
        }
        return r;
    }

    private void loginForRequest() throws IOException {
        try {
            login();
        } catch (ServerRefusal refused) {
            throw new ServerRefusal(refused.status(), refused.code(), refused.serverMessage(), true);
        }
    }

    private DeviceHttp.Answer send(String method, String path, String bearer, JsonNode body, String ifNoneMatch)
            throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        if (bearer != null) {
            headers.put("Authorization", "Bearer " + bearer);
        }
        if (ifNoneMatch != null) {
            headers.put("If-None-Match", ifNoneMatch);
        }
        try {
            byte[] bytes = CanonicalJson.encodeValid(body);
            return http.send(new DeviceHttp.Request(method, base.resolve(path), headers, bytes, timeout,
                    MAX_ANSWER_BYTES));
        } catch (IllegalArgumentException e) {
            throw new IOException("bad request URL " + path + ": " + e.getMessage(), e);
        } catch (DeviceHttp.Refused refused) {
            throw new IOException("the server's answer to " + method + " " + path + " " + refused.getMessage()
                    + ": dropped", refused);
        } catch (SSLException e) {
            throw new IOException("cannot reach " + base + " (" + CaBundle.describe(e) + "; if a private CA signed "
                    + "its certificate, name that CA's PEM file in caBundle)", e);
        } catch (IOException e) {
            throw new IOException("cannot reach " + base + " (" + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
        }
    }

    private static JsonNode expect(DeviceHttp.Answer r, int status) throws IOException {
        JsonNode body;
        try {
            body = r.body().length == 0 ? NODES.objectNode() : CanonicalJson.parse(r.body());
        } catch (JsonFormatException e) {
            throw new IOException(r.uri() + " answered " + r.status() + " with a body that is not JSON", e);
        }
        if (r.status() == status && body != null && body.isObject()) {
            return body;
        }
        if (r.status() >= 400 && r.status() < 500) {
            throw new ServerRefusal(r.status(), body == null ? "" : body.path("code").asText(""),
                    body == null ? "" : body.path("message").asText(""));
        }
        throw new IOException(r.uri() + " answered " + r.status());
    }

    private void requireIdentity() {
        if (deviceId == null || signer == null) {
            throw new IllegalStateException("the device is not enrolled yet");
        }
    }
}
