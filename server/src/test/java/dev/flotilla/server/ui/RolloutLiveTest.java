package dev.flotilla.server.ui;

import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.TestDevice;
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

/** A rollout page's live block: a server-sent event stream that follows the rollout to its halt. */
class RolloutLiveTest {
    @TempDir
    Path dir;

    @Test
    void theStreamSendsTheBlockAgainWhenTheRolloutHalts() {
        // closed in reverse: the server stops first and so ends the open stream, which the client's close awaits
        try (HttpClient client = HttpClient.newHttpClient();
             Fleet fleet = new Fleet(BothDatabases.h2(), dir);
             Browser browser = new Browser(fleet.srv.server.uri())) {
            List<TestDevice> devices = fleet.devices(2, "board-a");
            String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                    "{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0.4, 'minDevices': 1}}}")))
                    .path("id").asText();
            browser.signIn(fleet.srv.token(fleet.admin, "viewer"));
            assertThat(browser.get("/ui/rollouts/rol_nope/live").statusCode()).isEqualTo(404);
            assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
                HttpResponse<Stream<String>> r = client.send(HttpRequest.newBuilder(
                                fleet.srv.server.uri().resolve("/ui/rollouts/" + id + "/live"))
                        .header("Cookie", browser.cookie).build(), HttpResponse.BodyHandlers.ofLines());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                        t -> assertThat(t).startsWith("text/event-stream"));
                Iterator<String> lines = r.body().iterator();
                String first = nextEvent(lines);
                assertThat(first).startsWith("rollout\n").contains("id=\"rollout-state\">active<")
                        .doesNotContain("id=\"action-").doesNotContain("id=\"halt\"");

                fleet.report(devices.get(0), id, "failed", Map.of("reason", "E_VERIFY"));
                fleet.tick(id, Duration.ofSeconds(2));
                String halted = nextEvent(lines);
                assertThat(halted).startsWith("rollout\n").contains("id=\"rollout-state\">halted<")
                        .contains("id=\"halt\"").contains("<strong>100.0%</strong>").contains("<td>E_VERIFY</td>")
                        .doesNotContain("id=\"action-");
                r.body().close();
            });
        }
    }

    /** The next event: its name, a newline, and its data lines joined (comment lines skipped). */
    static String nextEvent(Iterator<String> lines) {
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
