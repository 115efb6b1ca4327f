package dev.flotilla.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.CanonicalJson;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A small client for the update server's API, for CLI commands. A non-2xx answer becomes an
 * {@link IllegalStateException} carrying the server's error code and message (one line for the user).
 */
public final class ServerClient {
    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public ServerClient(URI base, String token) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.token = token;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path.startsWith("/") ? path.substring(1) : path))
                .timeout(Duration.ofMinutes(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    /** GET returning the body, or empty on 404. */
    public Optional<byte[]> getIfPresent(String path) throws IOException {
        HttpResponse<byte[]> r = send(request(path).GET().build());
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        check(r);
        return Optional.of(r.body());
    }

    public JsonNode getJson(String path) throws IOException {
        HttpResponse<byte[]> r = send(request(path).GET().build());
        check(r);
        return CanonicalJson.parse(r.body());
    }

    /** Sends JSON bytes with a method; returns the parsed answer. */
    public JsonNode sendJson(String method, String path, byte[] body) throws IOException {
        HttpResponse<byte[]> r = send(request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build());
        check(r);
        return CanonicalJson.parse(r.body());
    }

    /** POSTs a stream of known length (e.g. an image wrapped in a progress bar). */
    public JsonNode upload(String path, Supplier<InputStream> body, long length) throws IOException {
        HttpRequest.BodyPublisher pub = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(body), length);
        HttpResponse<byte[]> r = send(request(path).header("Content-Type", "application/octet-stream")
                .POST(pub).build());
        check(r);
        return CanonicalJson.parse(r.body());
    }

    private HttpResponse<byte[]> send(HttpRequest req) throws IOException {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to " + base, e);
        }
    }

    private static void check(HttpResponse<byte[]> r) {
        if (r.statusCode() / 100 == 2) {
            return;
        }
        String detail;
        try {
            JsonNode err = CanonicalJson.parse(r.body());
            detail = err.path("code").asText("?") + ": " + err.path("message").asText("");
        } catch (RuntimeException e) {
            detail = "HTTP " + r.statusCode();
        }
        throw new IllegalStateException("server refused " + r.request().method() + " " + r.request().uri().getPath()
                + " (" + r.statusCode() + " " + detail + ")");
    }
}
