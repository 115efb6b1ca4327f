package dev.flotilla.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A small JSON client over java.net.http for tests against a real server on loopback. Each instance has its
 * own connection pool, so a connection to a stopped server is never reused for a later server that happens
 * to get the same port; {@link #close()} releases it. It speaks HTTP/1.1 only, as devices and the CLI do: the
 * JDK's default first tries an h2c upgrade, which the server does not offer.
 */
public final class Http implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A response: status, parsed body (MissingNode when empty or not JSON), raw text and headers. */
    public record Response(int status, JsonNode json, String text, HttpResponse<String> raw) {
        public Optional<String> header(String name) {
            return raw.headers().firstValue(name);
        }

        public String code() {
            return json.path("code").asText(null);
        }
    }

    private final URI base;

    public Http(URI base) {
        this.base = base;
    }

    /** Closes this client's connections. */
    @Override
    public void close() {
        client.close();
    }

    public Response get(String path, String token) {
        return send("GET", path, token, null, Map.of());
    }

    public Response post(String path, String token, Object body) {
        return send("POST", path, token, body, Map.of());
    }

    /**
     * Sends a request; {@code body} is a String/byte[] sent verbatim or any object serialised as JSON.
     */
    public Response send(String method, String path, String token, Object body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), parse(r.body()), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static byte[] bytes(Object body) {
        if (body instanceof byte[] raw) {
            return raw;
        }
        if (body instanceof String s) {
            return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static JsonNode parse(String text) {
        if (text == null || text.isEmpty()) {
            return MissingNode.getInstance();
        }
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
