package dev.flotilla.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tls.CaBundle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The management API calls the simulator makes as the operator (admin token, JSON, HTTP or HTTPS). */
final class AdminApi {
    private static final ObjectMapper JSON = CanonicalJson.mapper();
    static final int READ_ATTEMPTS = 5;
    static final long MAX_PAUSE_SECONDS = 10;
    private final URI server;
    private final String token;
    private final HttpClient http;

    AdminApi(URI server, String token) {
        this(server, token, null);
    }

    /**
     * Calls that check an HTTPS server's certificate against the CAs in {@code caBundle} (null: the JDK's).
     *
     * @throws IllegalArgumentException (one line naming the file) when the bundle cannot be read or holds no
     *     certificate
     */
    AdminApi(URI server, String token, Path caBundle) {
        this.server = server;
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (caBundle != null) {
            b.sslContext(CaBundle.sslContext(caBundle));
        }
        this.http = b.build();
    }

    /** An enrollment token for {@code devices} devices, valid for a day. */
    String enrollmentToken(int devices) throws IOException {
        return send("POST", "/api/v1/enrollment-tokens", JSON.createObjectNode()
                .put("description", "flotilla simulator fleet").put("maxUses", devices).put("validForSeconds", 86_400))
                .path("secret").asText();
    }

    /** The signed TUF metadata file {@code name} (e.g. {@code 1.root.json}, {@code targets.json}). */
    byte[] metadata(String name) throws IOException {
        return bytes(request("GET", "/tuf/metadata/" + name, null));
    }

    /** The current signed targets metadata, found the way a TUF client finds it: timestamp, then snapshot. */
    byte[] signedTargets() throws IOException {
        JsonNode timestamp = JSON.readTree(metadata("timestamp.json"));
        long snapshot = timestamp.path("signed").path("meta").path("snapshot.json").path("version").asLong();
        JsonNode snap = JSON.readTree(metadata(snapshot + ".snapshot.json"));
        long targets = snap.path("signed").path("meta").path("targets.json").path("version").asLong();
        return metadata(targets + ".targets.json");
    }

    /** Creates a rollout (and starts it); returns its id. */
    String createRollout(JsonNode body) throws IOException {
        return send("POST", "/api/v1/rollouts", body).path("id").asText();
    }

    /** Runs a rollout action ({@code start}, {@code pause}, ...); returns the rollout after it. */
    JsonNode act(String id, String action) throws IOException {
        return send("POST", "/api/v1/rollouts/" + id + "/" + action, CanonicalJson.mapper().createObjectNode());
    }

    JsonNode rollout(String id) throws IOException {
        return get("/api/v1/rollouts/" + id);
    }

    /** Every enrolled device matching {@code filter} (a query string, e.g. {@code installedVersion=1.0.0}), all pages. */
    List<JsonNode> devices(String filter) throws IOException {
        return all("/api/v1/devices?limit=500&" + filter);
    }

    /** Every event the server stored for {@code deviceId}. */
    List<JsonNode> events(String deviceId) throws IOException {
        return all("/api/v1/devices/" + deviceId + "/events?limit=500");
    }

    private List<JsonNode> all(String first) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        String next = first;
        while (next != null) {
            JsonNode page = get(next);
            page.path("items").forEach(out::add);
            JsonNode offset = page.path("nextOffset");
            next = offset.isNumber() ? first + "&offset=" + offset.asLong() : null;
        }
        return out;
    }

    JsonNode get(String path) throws IOException {
        return JSON.readTree(bytes(request("GET", path, null)));
    }

    private JsonNode send(String method, String path, JsonNode body) throws IOException {
        return JSON.readTree(bytes(request(method, path, JSON.writeValueAsBytes(body))));
    }

    private HttpRequest request(String method, String path, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return b.build();
    }

    /**
     * Sends {@code request}. A GET (a read: the simulator watching its run) is sent again, up to
     * {@value #READ_ATTEMPTS} times in all, when its connection broke (a kept-alive one the server dropped) or the
     * server answered 503 (busy: it asks to retry, after its {@code Retry-After}, at most
     * {@value #MAX_PAUSE_SECONDS} s); a write is sent once.
     */
    private byte[] bytes(HttpRequest request) throws IOException {
        int attempts = "GET".equals(request.method()) ? READ_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> r;
            try {
                r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                if (attempt >= attempts) {
                    throw e;
                }
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (r.statusCode() / 100 == 2) {
                return r.body();
            }
            if (r.statusCode() != 503 || attempt >= attempts) {
                throw new IOException(request.method() + " " + request.uri().getPath() + ": HTTP " + r.statusCode()
                        + " " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
            }
            pause(r.headers().firstValueAsLong("Retry-After").orElse(1));
        }
    }

    private static void pause(long seconds) throws IOException {
        try {
            Thread.sleep(Duration.ofSeconds(Math.clamp(seconds, 0, MAX_PAUSE_SECONDS)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
