package dev.flotilla.cli.e2e;

import dev.flotilla.cli.Await;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole system as separate processes: {@code flotilla server}, the operator's offline commands, and a
 * simulated board running the real agent ({@code flotilla sim device}: file slots, simulated U-Boot boot
 * counter). A good release is installed, trial-booted and committed; a release that crashes on boot ends
 * rolled back by the board itself, and the server shows both timelines.
 */
class EndToEndTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private URI server;
    private String admin;

    @Test
    void aGoodReleaseIsCommittedAndACrashingReleaseRollsBackOnItsOwn() throws Exception {
        try (Processes procs = new Processes()) {
            Processes.Running srv = procs.start("server", "--data", dir.resolve("server").toString(), "--port", "0",
                    "--host", "127.0.0.1", "--poll-interval", "1");
            server = URI.create(srv.waitForLine("Flotilla server listening on ", 60_000)
                    .substring("Flotilla server listening on ".length()));
            srv.waitForLine("Initial admin API token", 10_000);
            int i = srv.lines().indexOf(srv.waitForLine("Initial admin API token", 1000));
            admin = waitForIndex(srv, i + 1).trim();

            Path keys = dir.resolve("keys");
            procs.run("keys", "generate", "--type", "ed25519", "--out", keys.toString(), "--name", "root");
            procs.run("keys", "generate", "--type", "ecdsa-p256", "--out", keys.toString(), "--name", "targets");
            procs.run("trust", "init", "--accept-online-keys", "--server", server.toString(), "--token", admin,
                    "--root-key", keys.resolve("root.pub.json").toString(),
                    "--targets-key", keys.resolve("targets.pub.json").toString(),
                    "--sign-with", keys.resolve("root.pem").toString());
            Path root = dir.resolve("root.json");
            Files.write(root, get("/tuf/metadata/1.root.json").body());
            String enroll = json("POST", "/api/v1/enrollment-tokens", "{\"description\":\"e2e\"}").path("secret").asText();

            procs.start("sim", "device", "--dir", dir.resolve("board").toString(), "--server", server.toString(),
                    "--enrollment-token", enroll, "--root", root.toString(), "--hardware", "e2e-board",
                    "--factory-version", "1.0.0");
            String deviceId = waitFor(() -> json("GET", "/api/v1/devices", null).path("items"), n -> n.size() == 1)
                    .get(0).path("id").asText();

            Path good = dir.resolve("fw-1.1.0.img");
            TestImage.write(good, TestImage.Behaviour.BOOT_OK, "1.1.0", 300_000);
            publish(procs, keys, good, "1.1.0");
            String dep1 = deploy("fw-1.1.0.img", deviceId);
            List<String> timeline1 = waitForEnd(deviceId, dep1);
            assertThat(timeline1).containsSubsequence("download_started", "downloaded", "verified", "installed",
                    "rebooting", "trial_boot", "committed");
            assertThat(timeline1).doesNotContain("rolled_back", "failed");
            // the board's next signed version manifest reports the new firmware from the other slot
            JsonNode afterGood = waitFor(() -> json("GET", "/api/v1/devices/" + deviceId, null).path("manifest"),
                    m -> m.path("installedVersion").asText().equals("1.1.0"));
            assertThat(afterGood.path("slot").asText()).isEqualTo("b");
            assertThat(json("GET", "/api/v1/deployments/" + dep1, null).toString()).contains("committed");

            Path bad = dir.resolve("fw-1.2.0.img");
            TestImage.write(bad, TestImage.Behaviour.CRASH_ON_BOOT, "1.2.0", 300_000);
            publish(procs, keys, bad, "1.2.0");
            String dep2 = deploy("fw-1.2.0.img", deviceId);
            List<String> timeline2 = waitForEnd(deviceId, dep2);
            assertThat(timeline2).containsSubsequence("installed", "rebooting", "rolled_back");
            assertThat(timeline2).doesNotContain("committed");
            List<JsonNode> rollbacks = eventsOf(deviceId, dep2).stream()
                    .filter(e -> e.path("type").asText().equals("rolled_back")).toList();
            assertThat(rollbacks).anySatisfy(e -> assertThat(e.path("details").toString()).contains("BOOT_FAILED"));
            // the board runs 1.1.0 from slot b again, and says so in a manifest signed after the rollback
            String lastSeen = json("GET", "/api/v1/devices/" + deviceId, null).path("device").path("lastSeenAt").asText();
            JsonNode afterBad = waitFor(() -> json("GET", "/api/v1/devices/" + deviceId, null),
                    n -> !n.path("device").path("lastSeenAt").asText().equals(lastSeen));
            assertThat(afterBad.path("manifest").path("installedVersion").asText()).isEqualTo("1.1.0");
            assertThat(afterBad.path("manifest").path("slot").asText()).isEqualTo("b");
        }
    }

    private void publish(Processes procs, Path keys, Path image, String version) throws Exception {
        procs.run("release", "publish", "--server", server.toString(), "--token", admin, "--image", image.toString(),
                "--version", version, "--hardware", "e2e-board", "--targets-key", keys.resolve("targets.pem").toString(),
                "--no-progress");
    }

    private String deploy(String target, String deviceId) throws Exception {
        return json("POST", "/api/v1/deployments", "{\"target\":\"" + target + "\",\"deviceId\":\"" + deviceId + "\"}")
                .path("id").asText();
    }

    /** Event types for a deployment, once it reached committed, rolled_back or failed. */
    private List<String> waitForEnd(String deviceId, String deployment) throws Exception {
        List<JsonNode> events = waitFor(() -> eventsOf(deviceId, deployment), es -> es.stream()
                .map(e -> e.path("type").asText()).anyMatch(t -> List.of("committed", "rolled_back", "failed").contains(t)));
        Thread.sleep(1500); // let the last reports of the same transition arrive
        List<String> types = new ArrayList<>();
        eventsOf(deviceId, deployment).forEach(e -> types.add(e.path("type").asText()));
        return types;
    }

    private List<JsonNode> eventsOf(String deviceId, String deployment) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        json("GET", "/api/v1/devices/" + deviceId + "/events?limit=500", null).path("items").forEach(e -> {
            if (deployment.equals(e.path("details").path("deploymentId").asText())) {
                out.add(e);
            }
        });
        return out;
    }


    private static <T> T waitFor(Await.Probe<T> probe, Predicate<T> done) throws Exception {
        return Await.until(probe, done, () -> "the server and the board are still running");
    }

    private static String waitForIndex(Processes.Running r, int index) throws InterruptedException {
        for (int i = 0; i < 200 && r.lines().size() <= index; i++) {
            Thread.sleep(50);
        }
        return r.lines().get(index);
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(server.resolve(path)).header("Authorization", "Bearer " + admin).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode json(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body())).isBetween(200, 299);
        return CanonicalJson.parse(r.body());
    }
}
