package dev.flotilla.server;

import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server keeps idle connections open longer than the JDK HTTP client that the agent and the CLI use keeps
 * them (its {@code jdk.httpclient.keepalive.timeout}, 30 s by default), so the client closes an idle connection
 * first and never sends a request on one the server is closing at the same instant.
 */
class IdleConnectionsTest {
    private static final long JDK_CLIENT_KEEP_ALIVE_MILLIS =
            Long.getLong("jdk.httpclient.keepalive.timeout", 30) * 1000;

    @TempDir
    Path dir;

    @Test
    void thePlainConnectorOutlastsTheClientsKeepAlive() throws Exception {
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir.resolve("data"), new MutableClock(), c -> c)) {
            assertThat(srv.server.idleTimeoutsMillis()).hasSize(1)
                    .allSatisfy(t -> assertThat(t).isGreaterThan(JDK_CLIENT_KEEP_ALIVE_MILLIS + 10_000));
        }
    }
}
