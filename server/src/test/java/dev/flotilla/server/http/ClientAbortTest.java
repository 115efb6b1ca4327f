package dev.flotilla.server.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that goes away in the middle of its request body (a board losing power, Ctrl-C during
 * {@code flotilla release publish}) costs the server one DEBUG line: no ERROR, no staged leftovers, no change,
 * and the next requests are served. Real sockets on loopback, H2 and PostgreSQL.
 */
class ClientAbortTest {
    @TempDir
    Path dir;
    TestServer srv;
    ListAppender<ILoggingEvent> log;
    Logger root;
    Logger errors;
    Level errorsLevel;
    boolean reset;

    @BeforeEach
    void debugErrorMapping() {
        root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        errors = (Logger) LoggerFactory.getLogger(ErrorMapping.class);
        errorsLevel = errors.getLevel();
        errors.setLevel(Level.DEBUG);
        log = new ListAppender<>();
        log.start();
    }

    /**
     * A server on {@code db}; the log is captured from then on (what the start logs, such as the warning that
     * the tests' PostgreSQL runs with fsync off, is not the test's business).
     */
    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data-" + db.kind()), new MutableClock());
        root.addAppender(log);
    }

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
        root.detachAppender(log);
        errors.setLevel(errorsLevel);
    }

    @StoreTest
    void anImageUploadCutOffMidBodyIsADebugLineAndLeavesNothingStaged(TestDatabase db) throws Exception {
        start(db);
        sendHalfAndClose("/api/v1/releases/images", srv.adminToken, "application/octet-stream", new byte[200_000]);

        ILoggingEvent line = awaitErrorMappingLine();
        assertThat(line.getLevel()).isEqualTo(Level.DEBUG);
        assertThat(line.getFormattedMessage()).contains("client went away").contains("/api/v1/releases/images");
        assertThat(errorLines()).isEmpty();
        Path staging = dir.resolve("data-" + db.kind()).resolve("staging");
        assertThat(staging).isDirectory(); // the upload had begun
        try (Stream<Path> files = Files.list(staging)) {
            assertThat(files).isEmpty();
        }
        assertThat(dir.resolve("data-" + db.kind()).resolve("artifacts")).doesNotExist(); // nothing half-stored
        Http.Response upload = srv.http.send("POST", "/api/v1/releases/images", srv.adminToken, new byte[1000],
                Map.of());
        assertThat(upload.status()).isEqualTo(201);
        assertThat(upload.json().path("length").asLong()).isEqualTo(1000);
    }

    @StoreTest
    void anImageUploadResetMidBodyIsADebugLineAndLeavesNothingStaged(TestDatabase db) throws Exception {
        reset = true; // the client's end sends a TCP reset instead of a FIN

        anImageUploadCutOffMidBodyIsADebugLineAndLeavesNothingStaged(db);
    }

    @StoreTest
    void aJsonBodyCutOffMidBodyIsADebugLineAndCreatesNothing(TestDatabase db) throws Exception {
        start(db);
        String body = "{\"name\": \"" + "x".repeat(30_000) + "\", \"role\": \"viewer\"}";
        sendHalfAndClose("/api/v1/tokens", srv.adminToken, "application/json", body.getBytes(StandardCharsets.UTF_8));

        ILoggingEvent line = awaitErrorMappingLine();
        assertThat(line.getLevel()).isEqualTo(Level.DEBUG);
        assertThat(errorLines()).isEmpty();
        assertThat(srv.http.get("/api/v1/tokens", srv.adminToken).json().path("items")).hasSize(1);
        assertThat(srv.http.get("/healthz", null).status()).isEqualTo(200);
    }

    @StoreTest
    void aBoardKilledMidWayThroughItsEventReportIsADebugLineAndStoresNothing(TestDatabase db) throws Exception {
        start(db);
        TestDevice board = srv.device(KeyType.ED25519, "board-a");
        String body = "{\"events\": [{\"eventId\": \"ev-1\", \"type\": \"download_progress\", \"details\": {\"note\":"
                + " \"" + "x".repeat(30_000) + "\"}}]}";
        sendHalfAndClose("/api/v1/device/" + board.id() + "/events", board.token(), "application/json",
                body.getBytes(StandardCharsets.UTF_8));

        ILoggingEvent line = awaitErrorMappingLine();
        assertThat(line.getLevel()).isEqualTo(Level.DEBUG);
        assertThat(line.getFormattedMessage()).contains("client went away");
        assertThat(errorLines()).isEmpty();
        String events = "/api/v1/devices/" + board.id() + "/events";
        assertThat(srv.http.get(events, srv.adminToken).json().path("items")).isEmpty();
        Http.Response resent = srv.http.post("/api/v1/device/" + board.id() + "/events", board.token(),
                Map.of("events", List.of(Map.of("eventId", "ev-1", "type", "download_started"))));
        assertThat(resent.status()).as(resent.text()).isEqualTo(200);
        assertThat(srv.http.get(events, srv.adminToken).json().path("items").findValuesAsText("eventId"))
                .containsExactly("ev-1");
    }

    /** Sends the headers with the full Content-Length, then half of {@code body}, then closes the socket. */
    private void sendHalfAndClose(String path, String token, String contentType, byte[] body)
            throws IOException, InterruptedException {
        try (Socket s = new Socket("127.0.0.1", srv.server.port())) {
            OutputStream out = s.getOutputStream();
            String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
            Thread.sleep(300); // the server is reading the body now
            if (reset) {
                s.setSoLinger(true, 0);
            }
        }
    }

    /** The line ErrorMapping logs about the aborted request (at any level), waited for up to 10 s. */
    private ILoggingEvent awaitErrorMappingLine() throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            List<ILoggingEvent> mine = List.copyOf(log.list).stream()
                    .filter(e -> e.getLoggerName().equals(ErrorMapping.class.getName())).toList();
            if (!mine.isEmpty()) {
                Thread.sleep(200); // anything else the abort logs comes now
                return mine.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the server logged nothing about the aborted request: " + log.list);
    }

    private List<String> errorLines() {
        return List.copyOf(log.list).stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }
}
