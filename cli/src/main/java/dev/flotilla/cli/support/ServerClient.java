package dev.flotilla.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tls.CaBundle;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * A small client for the update server's API, for CLI commands, and the one place the CLI builds its HTTP
 * client for the server. A non-2xx answer becomes an {@link IllegalStateException} carrying the server's
 * error code and message (one line for the user); an HTTPS certificate that is not trusted one line too.
 */
public final class ServerClient {
    /** What to do about a token the server refuses (401). */
    public static final String LOG_IN_AGAIN = "log in again with 'flotilla login --server URL', or pass a valid"
            + " --token (an admin makes one with 'flotilla tokens create')";
    private final URI base;
    private final String token;
    private final HttpClient http;

    /** A client that checks an HTTPS server against the JDK's default CAs. */
    public ServerClient(URI base, String token) {
        this(base, token, null);
    }

    /**
     * @param caBundle a PEM file of the CAs to check an HTTPS server against (see {@link ServerOptions}), or
     *                 null for the JDK's default ones
     * @throws IllegalArgumentException (one line) when the bundle cannot be read or holds no certificate
     */
    public ServerClient(URI base, String token, Path caBundle) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (caBundle != null) {
            b.sslContext(CaBundle.sslContext(caBundle));
        }
        this.http = b.build();
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

    /**
     * Sends a request (a JSON body when {@code body} is not null) and returns the answer's bytes as the
     * server sent them; a non-2xx answer throws {@link ApiError}.
     */
    public byte[] exchange(String method, String path, byte[] body) throws IOException {
        HttpRequest.Builder b = request(path);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        HttpResponse<byte[]> r = send(b.build());
        check(r);
        return r.body();
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

    /**
     * GETs {@code path} as a stream, from byte {@code from} on ({@code Range: bytes=from-} when above 0); the
     * caller closes the answer's body. Status 200 or 206 is returned; any other answer throws {@link ApiError}.
     */
    public HttpResponse<InputStream> stream(String path, long from) throws IOException {
        HttpRequest.Builder b = request(path).GET();
        if (from > 0) {
            b.header("Range", "bytes=" + from + "-");
        }
        HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200 && r.statusCode() != 206) {
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(64 * 1024);
            }
            check(r.statusCode(), body, r.request());
        }
        return r;
    }

    private HttpResponse<byte[]> send(HttpRequest req) throws IOException {
        return send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to " + base + ": is the server running there? (check --server,"
                    + " FLOTILLA_SERVER or the server 'flotilla login' saved)", e);
        } catch (SSLException e) {
            throw new IOException("cannot connect to " + base + ": " + CaBundle.describe(e) + "; if a private CA "
                    + "signed it, pass that CA with --ca-bundle FILE or FLOTILLA_CA_BUNDLE", e);
        }
    }

    private static void check(HttpResponse<byte[]> r) {
        check(r.statusCode(), r.body(), r.request());
    }

    private static void check(int status, byte[] body, HttpRequest request) {
        if (status / 100 == 2) {
            return;
        }
        String code = null;
        String message = null;
        try {
            JsonNode err = CanonicalJson.parse(body);
            code = err.path("code").asText("?");
            message = err.path("message").asText("");
        } catch (RuntimeException e) {
            // not a JSON error body (a proxy's page, say): the status is all there is
        }
        String detail = code == null ? "HTTP " + status : code + ": " + message;
        throw new ApiError(status, code == null ? "http_" + status : code,
                message == null ? "HTTP " + status : message,
                "server refused " + request.method() + " " + request.uri().getPath()
                        + " (" + status + " " + detail + ")" + (status == 401 ? "; " + LOG_IN_AGAIN : ""));
    }

    /**
     * A non-2xx answer: the HTTP status and the server's {@code {"code", "message"}} (for a body that is not
     * such an error, code {@code http_STATUS}). {@link #getMessage()} also names the request.
     */
    public static final class ApiError extends IllegalStateException {
        private final int status;
        private final String code;
        private final String serverMessage;

        public ApiError(int status, String code, String serverMessage, String description) {
            super(description);
            this.status = status;
            this.code = code;
            this.serverMessage = serverMessage;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }

        public String serverMessage() {
            return serverMessage;
        }
    }
}
