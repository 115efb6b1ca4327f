package dev.flotilla.server.ui;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The overview's live fleet counts: a server-sent event stream that follows the fleet and the session. */
class LiveFleetTest {
    @TempDir
    Path dir;

    @Test
    void theStreamSendsTheCountsAgainWhenTheyChangeAndEndsWithTheSession() {
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
             Browser browser = new Browser(srv.server.uri());
             HttpClient client = HttpClient.newHttpClient()) {
            String viewer = srv.token(srv.adminToken, "viewer");
            browser.signIn(viewer);
            assertThat(browser.get("/ui").body()).contains("data-live=\"/ui/fleet/live\"");
            assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
                HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(
                                srv.server.uri().resolve("/ui/fleet/live")).header("Cookie", browser.cookie).build(),
                        HttpResponse.BodyHandlers.ofLines());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                        t -> assertThat(t).startsWith("text/event-stream"));
                assertThat(r.headers().firstValue("Content-Security-Policy")).contains(Gate.CSP);
                Iterator<String> lines = r.body().iterator();
                assertThat(nextEvent(lines)).startsWith("fleet").contains("id=\"count-active\">0<");

                srv.device(KeyType.ED25519, "board-a");
                assertThat(nextEvent(lines)).startsWith("fleet").contains("id=\"count-active\">1<");

                String id = null;
                for (var t : srv.http.get("/api/v1/tokens", srv.adminToken).json().path("items")) {
                    if (t.path("name").asText().equals("viewer-token")) {
                        id = t.path("id").asText();
                    }
                }
                srv.http.send("DELETE", "/api/v1/tokens/" + id, srv.adminToken, null, Map.of());
                assertThat(nextEvent(lines)).startsWith("ended");
                assertThat(lines.hasNext()).isFalse();
            });
        }
    }

    @Test
    void stoppingTheServerEndsAnOpenStreamAtOnce() throws Exception {
        TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
        HttpClient client = HttpClient.newHttpClient();
        try (Browser browser = new Browser(srv.server.uri())) {
            browser.signIn(srv.adminToken);
            HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(srv.server.uri().resolve("/ui/fleet/live"))
                    .header("Cookie", browser.cookie).build(), HttpResponse.BodyHandlers.ofLines());
            Iterator<String> lines = r.body().iterator();
            assertThat(nextEvent(lines)).startsWith("fleet");
            srv.close();
            // the stream was ended by the server, not cut when Jetty's stop timeout ran out: a cut stream lacks
            // its last chunk, and reading it fails
            assertThatCode(() -> lines.forEachRemaining(l -> { })).doesNotThrowAnyException();
        } finally {
            client.shutdownNow();
        }
    }

    @Test
    void withoutASessionTheStreamSendsToSignIn() {
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
             Browser browser = new Browser(srv.server.uri())) {
            HttpResponse<String> r = browser.get("/ui/fleet/live");
            assertThat(r.statusCode()).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).contains("/ui/login");
        }
    }

    /** The next event: its name, a newline, and its data lines joined (comment lines skipped). */
    private static String nextEvent(Iterator<String> lines) {
        StringBuilder event = new StringBuilder();
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty() && !event.isEmpty()) {
                return event.toString();
            }
            if (line.startsWith("event: ")) {
                event.append(line.substring(7)).append('\n');
            } else if (line.startsWith("data: ")) {
                event.append(line.substring(6)).append('\n');
            }
        }
        return event.toString();
    }
}
