package dev.flotilla.server.http;

import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorMappingTest {
    @TempDir
    Path dir;
    TestServer srv;

    @BeforeEach
    void start() {
        srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
    }

    @AfterEach
    void stop() {
        srv.close();
    }

    @Test
    void healthzAnswersOk() {
        Http.Response r = srv.http.get("/healthz", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("status").asText()).isEqualTo("ok");
    }

    @Test
    void unknownRouteIsJson404() {
        Http.Response r = srv.http.get("/api/v1/nothing-here", srv.adminToken);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.code()).isEqualTo("not_found");
        assertThat(r.json().path("message").isTextual()).isTrue();
    }

    @Test
    void malformedJsonIs400AndCreatesNothing() {
        Http.Response r = srv.http.post("/api/v1/tokens", srv.adminToken, "{\"name\": \"x\", \"role\": ");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("malformed_json");
        assertThat(r.text()).doesNotContain("at com.").doesNotContain("Exception");
        assertThat(srv.http.get("/api/v1/tokens", srv.adminToken).json().path("items")).hasSize(1);
    }

    @Test
    void duplicateKeysAreMalformedJson() {
        Http.Response r = srv.http.post("/api/v1/tokens", srv.adminToken,
                "{\"name\": \"x\", \"role\": \"viewer\", \"role\": \"admin\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("malformed_json");
    }

    @Test
    void oversizeBodyIs413AndCreatesNothing() {
        String big = "{\"name\": \"" + "x".repeat(100 * 1024) + "\", \"role\": \"viewer\"}";
        Http.Response r = srv.http.post("/api/v1/tokens", srv.adminToken, big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.code()).isEqualTo("payload_too_large");
        assertThat(srv.http.get("/api/v1/tokens", srv.adminToken).json().path("items")).hasSize(1);
    }

    @Test
    void missingFieldIs400InvalidRequest() {
        Http.Response r = srv.http.post("/api/v1/tokens", srv.adminToken, Map.of("name", "x"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("invalid_request");
        assertThat(r.json().path("message").asText()).contains("role");
    }

    @Test
    void unexpectedFailureIsGeneric500WithoutDetails() {
        io.javalin.Javalin app = io.javalin.Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            ErrorMapping.install(cfg.routes);
            cfg.routes.get("/boom", ctx -> {
                throw new IllegalStateException("secret detail from deep inside");
            });
        }).start("127.0.0.1", 0);
        try {
            Http.Response r = new Http(java.net.URI.create("http://127.0.0.1:" + app.port())).get("/boom", null);
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.code()).isEqualTo("internal_error");
            assertThat(r.json().path("message").asText()).isEqualTo("internal server error");
            assertThat(r.text()).doesNotContain("secret detail").doesNotContain("IllegalStateException");
        } finally {
            app.stop();
        }
    }

    @Test
    void aRequestThatFindsNoFreeDatabaseConnectionIs503WithRetryAfter() throws Exception {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl("jdbc:h2:mem:busy;DB_CLOSE_DELAY=-1");
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(250);
        try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(config);
             java.sql.Connection held = pool.getConnection()) { // another request holds the only connection
            org.jdbi.v3.core.Jdbi jdbi = org.jdbi.v3.core.Jdbi.create(pool);
            io.javalin.Javalin app = io.javalin.Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                ErrorMapping.install(cfg.routes);
                cfg.routes.get("/busy", ctx -> {
                    String one = jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(String.class).one());
                    ctx.result(one);
                });
            }).start("127.0.0.1", 0);
            try {
                Http.Response r = new Http(java.net.URI.create("http://127.0.0.1:" + app.port())).get("/busy", null);
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.code()).isEqualTo("unavailable");
                assertThat(r.text()).contains("no free database connection");
                assertThat(r.header("Retry-After")).contains("5");
                assertThat(r.text()).doesNotContain("Exception").doesNotContain("HikariPool");
            } finally {
                app.stop();
            }
            assertThat(held.isValid(1)).isTrue();
        }
    }

    @Test
    void wrongMethodOnKnownPathIsJsonError() {
        Http.Response r = srv.http.send("PATCH", "/api/v1/tokens", srv.adminToken, "{}", Map.of());
        assertThat(r.status()).isIn(404, 405);
        assertThat(r.code()).isIn("not_found", "method_not_allowed");
    }
}
