package dev.flotilla.sim;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A board's {@link Link} over a real HTTP server on loopback. */
class LinkTest {
    private HttpServer server;
    private final AtomicInteger received = new AtomicInteger();
    private final HttpClient shared = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            received.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        shared.close();
    }

    @Test
    void aLinkDownFailsEveryRequestAtOnceAndNothingReachesTheServer() {
        Link link = new Link(shared);
        link.down();
        assertThat(link.isDown()).isTrue();
        assertThatThrownBy(() -> link.send(request("/api/v1/device/d1/checkin"), HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(ConnectException.class).hasMessage("network down");
        assertThatThrownBy(() -> link.sendAsync(request("/api/v1/device/d1/checkin"),
                HttpResponse.BodyHandlers.discarding()).get())
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ConnectException.class);
        assertThat(received).hasValue(0);
        assertThat(link.answeredCheckIns()).isZero();
    }

    @Test
    void aLinkBackUpCountsOnlyTheCheckInsAnsweredSinceItCameBack() throws Exception {
        Link link = new Link(shared);
        link.send(request("/api/v1/device/d1/checkin"), HttpResponse.BodyHandlers.discarding());
        assertThat(link.answeredCheckIns()).isEqualTo(1);
        link.down();
        link.up();
        assertThat(link.answeredCheckIns()).as("counted from the return").isZero();
        link.send(request("/api/v1/device/d1/events"), HttpResponse.BodyHandlers.discarding());
        link.send(request("/api/v1/device/d1/checkin"), HttpResponse.BodyHandlers.discarding());
        link.sendAsync(request("/api/v1/device/d1/checkin"), HttpResponse.BodyHandlers.discarding()).get();
        assertThat(link.answeredCheckIns()).isEqualTo(2);
        assertThat(received).hasValue(4);
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
    }
}
