package dev.flotilla.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The simulator's operator calls against a server that answers 503 (busy) a few times. */
class AdminApiTest {
    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();

    /** A server answering 503 with {@code Retry-After: 0} to the first {@code busy} requests, then 200. */
    private AdminApi busyFor(int busy) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            boolean refuse = calls.incrementAndGet() <= busy;
            byte[] body = (refuse ? "{\"code\":\"unavailable\"}" : "{\"id\":\"rol_1\",\"state\":\"active\"}")
                    .getBytes(StandardCharsets.UTF_8);
            if (refuse) {
                ex.getResponseHeaders().add("Retry-After", "0");
            }
            ex.sendResponseHeaders(refuse ? 503 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return new AdminApi(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"), "flt_test");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void aReadIsRetriedWhileTheServerAnswersBusy() throws Exception {
        AdminApi api = busyFor(AdminApi.READ_ATTEMPTS - 1);

        assertThat(api.rollout("rol_1").path("state").asText()).isEqualTo("active");
        assertThat(calls).hasValue(AdminApi.READ_ATTEMPTS);
    }

    @Test
    void aReadGivesUpAfterItsAttemptsAndAWriteIsSentOnce() throws Exception {
        AdminApi api = busyFor(Integer.MAX_VALUE);

        assertThatThrownBy(() -> api.rollout("rol_1")).isInstanceOf(IOException.class).hasMessageContaining("503");
        assertThat(calls).hasValue(AdminApi.READ_ATTEMPTS);
        calls.set(0);
        assertThatThrownBy(() -> api.act("rol_1", "pause")).isInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 503");
        assertThat(calls).hasValue(1);
    }
}
