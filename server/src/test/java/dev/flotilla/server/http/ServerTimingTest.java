package dev.flotilla.server.http;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ServerTiming}: the dashboard's pages and the no-op say how long the server worked; device routes do not. */
class ServerTimingTest {
    @TempDir
    Path dir;

    @Test
    void dashboardPagesAndTheNoOpCarryTheServersTimeAndDeviceRoutesDoNot() throws Exception {
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock())) {
            HttpClient http = HttpClient.newHttpClient();
            URI base = srv.server.uri();
            for (String page : new String[] {"/livez", "/ui/login", "/ui", "/ui/no-such-page"}) {
                assertThat(timing(http, base.resolve(page))).as(page).hasValueSatisfying(
                        v -> assertThat(v).matches("app;dur=\\d+\\.\\d{2}"));
            }
            TestDevice d = srv.device(KeyType.ED25519, "board-a");
            assertThat(timing(http, base.resolve("/api/v1/device/" + d.id() + "/checkin"))).isEmpty();
            assertThat(timing(http, base.resolve("/healthz"))).isEmpty();
        }
    }

    private static Optional<String> timing(HttpClient http, URI uri) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        return res.headers().firstValue(ServerTiming.HEADER);
    }
}
