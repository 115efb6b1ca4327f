package dev.flotilla.server.testing;

import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** A real server on loopback port 0 for one test, with an HTTP client and the admin token. */
public final class TestServer implements AutoCloseable {
    public final Server server;
    public final Http http;
    public final String adminToken;

    private TestServer(Server server, String adminToken) {
        this.server = server;
        this.http = new Http(server.uri());
        this.adminToken = adminToken;
    }

    public static TestServer start(TestDatabase db, Path dataDir, Clock clock) {
        return start(db, dataDir, clock, c -> c);
    }

    /**
     * The idle check-in cache's lease of every test server (it matters only on PostgreSQL): each operator write
     * (a deployment, a rollout action, a tag) waits one lease before it returns, and with the default 500 ms the
     * tests on PostgreSQL spent minutes waiting. The servers of one test share it, as the servers on one database
     * must.
     */
    public static final Duration CACHE_LEASE = Duration.ofMillis(150);

    /** A server whose test configuration is changed by {@code tweak} (e.g. an MQTT URL). */
    public static TestServer start(TestDatabase db, Path dataDir, Clock clock,
                                   java.util.function.UnaryOperator<ServerConfig> tweak) {
        ServerConfig config = tweak.apply(ServerConfig.defaults().withDataDir(dataDir).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl(db.jdbcUrl()).withClock(clock).withMaxRequestBytes(64 * 1024).withMaxImageBytes(1024 * 1024)
                .withCacheLease(CACHE_LEASE));
        Server s = Server.start(config);
        return new TestServer(s, s.initialAdminToken().orElse(null));
    }

    /**
     * Another node of the same deployment as {@code first}: the same database, its own data directory, and the
     * first node's online key files, as every node of one deployment must have.
     */
    public static TestServer startBeside(TestServer first, TestDatabase db, Path dataDir, Clock clock) {
        return start(db, dataDir, clock, c -> c.withOnlineKeys(
                new dev.flotilla.server.trust.OnlineKeySettings(first.server.config().onlineKeysDir(), false)));
    }

    /** Creates an API token with {@code role} using {@code adminToken}; returns its secret. */
    public String token(String adminToken, String role) {
        Http.Response r = http.post("/api/v1/tokens", adminToken, Map.of("name", role + "-token", "role", role));
        if (r.status() != 201) {
            throw new IllegalStateException("token creation failed: " + r.text());
        }
        return r.json().path("secret").asText();
    }

    /** Creates an enrollment token; returns its secret. */
    public String enrollmentToken(String operatorToken) {
        Http.Response r = http.post("/api/v1/enrollment-tokens", operatorToken, Map.of("description", "factory line 1"));
        if (r.status() != 201) {
            throw new IllegalStateException("enrollment token creation failed: " + r.text());
        }
        return r.json().path("secret").asText();
    }

    /** An enrolled, logged-in device. */
    public TestDevice device(dev.flotilla.core.crypto.KeyType type, String hardwareId) {
        TestDevice d = new TestDevice(type);
        Http.Response enrolled = d.enroll(http, enrollmentToken(adminToken), hardwareId);
        if (enrolled.status() != 201) {
            throw new IllegalStateException("enroll failed: " + enrolled.text());
        }
        Http.Response login = d.login(http);
        if (login.status() != 200) {
            throw new IllegalStateException("login failed: " + login.text());
        }
        return d;
    }

    @Override
    public void close() {
        http.close();
        server.close();
    }
}
