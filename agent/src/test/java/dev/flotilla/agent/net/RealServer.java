package dev.flotilla.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/** The real update server on loopback port 0 with a temporary data directory, and operator calls. */
public final class RealServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public final Server server;
    public final String admin;
    private final HttpClient http;

    public RealServer(Path dataDir) {
        server = Server.start(ServerConfig.defaults().withDataDir(dataDir).withPort(0).withHost("127.0.0.1"));
        admin = server.initialAdminToken().orElseThrow();
        http = HttpClient.newHttpClient();
    }

    /** The server speaking HTTPS with {@code ca}'s server certificate (operator calls trust {@code ca}). */
    public RealServer(Path dataDir, TestCa ca) {
        server = Server.start(ServerConfig.defaults().withDataDir(dataDir).withPort(0).withHost("127.0.0.1")
                .withTls(ca.serverCert(), ca.serverKey()));
        admin = server.initialAdminToken().orElseThrow();
        http = HttpClient.newBuilder().sslContext(CaBundle.sslContext(ca.caPem())).build();
    }

    public URI uri() {
        return server.uri();
    }

    public String enrollmentToken() throws IOException, InterruptedException {
        return call("POST", "/api/v1/enrollment-tokens", "{\"description\": \"agent test\"}").path("secret").asText();
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return call("GET", path, null);
    }

    public JsonNode post(String path, String body) throws IOException, InterruptedException {
        return call("POST", path, body);
    }

    private JsonNode call(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri().resolve(path)).header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IOException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    @Override
    public void close() {
        server.close();
    }
}
