package dev.flotilla.server.ui;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** A device page's live block: a server-sent event stream that follows the device's state and timeline. */
class DeviceLiveTest {
    @TempDir
    Path dir;

    @Test
    void theStreamSendsTheBlockAgainWhenTheDeviceReportsAnEvent() {
        // closed in reverse: the server stops first and so ends the open stream, which the client's close awaits
        try (HttpClient client = HttpClient.newHttpClient();
             TestServer srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
             Browser browser = new Browser(srv.server.uri())) {
            TestDevice device = srv.device(KeyType.ED25519, "board-a");
            TestDevice other = srv.device(KeyType.ED25519, "board-a");
            browser.signIn(srv.token(srv.adminToken, "viewer"));
            String live = "/ui/devices/" + device.id() + "/live";
            assertThat(browser.get("/ui/devices/" + device.id()).body())
                    .contains("<div id=\"device-live\" data-live=\"" + live + "\" data-live-event=\"device\"");
            assertThat(browser.get("/ui/devices/dev_nope/live").statusCode()).isEqualTo(404);
            assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
                HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(srv.server.uri().resolve(live))
                        .header("Cookie", browser.cookie).build(), HttpResponse.BodyHandlers.ofLines());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                        t -> assertThat(t).startsWith("text/event-stream"));
                Iterator<String> lines = r.body().iterator();
                String first = RolloutLiveTest.nextEvent(lines);
                assertThat(first).startsWith("device\n").contains("id=\"installed\">no manifest yet<")
                        .contains("No events reported").doesNotContain("id=\"update-1\"");

                report(srv, other, "o1", "rol_elsewhere"); // another device's event: this block is unchanged
                report(srv, device, "e1", "rol_mine");
                String next = RolloutLiveTest.nextEvent(lines);
                assertThat(next).startsWith("device\n").contains("id=\"update-1\"").contains("Update to 3.1")
                        .contains("<code>rol_mine</code>").doesNotContain("rol_elsewhere")
                        .doesNotContain("No events reported");
                r.body().close();
            });
        }
    }

    /** The device reports the start of a download of 3.1 for {@code rollout}. */
    private static void report(TestServer srv, TestDevice d, String eventId, String rollout) {
        Map<String, Object> event = Map.of("eventId", eventId, "type", "download_started",
                "occurredAt", "2026-12-02T10:00:00Z", "details", Map.of("deploymentId", rollout, "version", "3.1"));
        assertThat(srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(),
                Map.of("events", List.of(event))).status()).isEqualTo(200);
    }
}
