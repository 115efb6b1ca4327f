package dev.flotilla.cli.rollouts;

import dev.flotilla.cli.Await;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.sim.SimulatedDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Staged rollouts end to end with real agents: a server on loopback and ten simulated boards in this JVM, each
 * the real agent with file slots and the simulated U-Boot boot counter ({@link SimulatedDevice}). Every board's
 * own maintenance policy installs only while an idle check passes (a file {@code idle} in the board's
 * directory), so the test decides when each board may install, as a device's local policy does for a soft
 * rollout. On H2; {@link RolloutWithAgentsOnPostgresTest} runs the same on PostgreSQL.
 */
class RolloutWithAgentsTest {
    private static final int BOARDS = 10;
    private static final String PLAN = "{\"stages\": [{\"percent\": 20}, {\"percent\": 100}], \"soakSeconds\": 0,"
            + " \"timeoutSeconds\": 600, \"gates\": {\"failureRate\": {\"max\": 0, \"minDevices\": 1}}}";

    @TempDir
    Path tmp;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<SimulatedDevice> boards = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    /** Device id to the board's directory. */
    private final Map<String, Path> dirs = new TreeMap<>();
    private Server server;
    private String admin;
    private CliFixture fx;

    @BeforeEach
    void start() throws Exception {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl(databaseUrl())
                .withPollInterval(Duration.ofSeconds(1)));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin,
                "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"),
                "--sign-with", fx.key("root1")));
        String enroll = json("POST", "/api/v1/enrollment-tokens", "{\"description\":\"boards\", \"maxUses\": " + BOARDS + "}").path("secret").asText();
        for (int i = 0; i < BOARDS; i++) {
            Path dir = tmp.resolve("board-" + i);
            Path conf = SimulatedDevice.provision(dir, server.uri(), enroll, fx.repo.resolve("1.root.json"), "board-r",
                    "1.0.0", 4096);
            ObjectNode c = (ObjectNode) CanonicalJson.parse(Files.readAllBytes(conf));
            c.putObject("maintenance").putObject("idleCheck").put("timeoutSeconds", 5).putArray("command")
                    .add("test").add("-e").add(dir.resolve("idle").toAbsolutePath().toString());
            Files.write(conf, CanonicalJson.pretty(c));
            int n = i;
            SimulatedDevice board = new SimulatedDevice(dir, new DirectorAssignmentAdapter(Clock.systemUTC()),
                    line -> log.add(n + ": " + line));
            boards.add(board);
            threads.add(Thread.ofPlatform().name("board-" + i).start(() -> {
                try {
                    board.run();
                } catch (Exception e) {
                    log.add(n + ": board stopped: " + e);
                }
            }));
        }
        JsonNode devices = waitFor(() -> json("GET", "/api/v1/devices?limit=100", null).path("items"),
                items -> items.size() == BOARDS);
        for (JsonNode d : devices) {
            String id = d.path("id").asText();
            dirs.put(id, boardDirOf(id));
            waitFor(() -> json("GET", "/api/v1/devices/" + id, null).path("manifest"),
                    m -> m.path("installedVersion").asText().equals("1.0.0"));
        }
    }

    /** A fresh database for the server (here H2 in memory; {@link RolloutWithAgentsOnPostgresTest}: PostgreSQL). */
    String databaseUrl() throws Exception {
        return "jdbc:h2:mem:agentrollout" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
    }

    @AfterEach
    void stop() throws Exception {
        boards.forEach(SimulatedDevice::stop);
        for (Thread t : threads) {
            t.join(30_000);
        }
        server.close();
    }

    @Test
    void aReleaseThatCrashesOnBootHaltsAtTheFirstStageAndTheWaitingBoardDropsItsWithdrawnAssignment()
            throws Exception {
        publish("1.1.0", TestImage.Behaviour.CRASH_ON_BOOT);
        String id = startRollout("fw-1.1.0.img");
        List<String> first = stageDevices(id, 0);
        assertThat(first).hasSize(2);
        String crashing = first.get(0);
        String waiting = first.get(1);
        // the later stage's boards are idle: had they been handed the release they would install it
        for (String d : dirs.keySet()) {
            if (!first.contains(d)) {
                idle(d);
            }
        }
        waitFor(() -> types(waiting, id), t -> t.contains("verified")); // downloaded, waits for its own policy
        idle(crashing);

        JsonNode halted = waitFor(() -> rollout(id), r -> r.path("state").asText().equals("halted"));

        assertThat(halted.path("stage").asInt()).isZero();
        assertThat(halted.path("halt").path("gate").asText()).isEqualTo("failureRate");
        assertThat(halted.path("halt").path("sample").asInt()).isEqualTo(1);
        assertThat(halted.path("halt").path("withdrawn").asInt()).as("the board that had not installed").isEqualTo(1);
        assertThat(types(crashing, id)).containsSubsequence("download_started", "installed", "rebooting",
                "rolled_back");
        // the board that waited receives the signed withdrawal and drops what it downloaded
        assertThat(waitFor(() -> types(waiting, id), t -> t.contains("withdrawn"))).doesNotContain("installed");
        idle(waiting);
        Thread.sleep(3_000); // a few polls with its policy open: nothing is installed
        assertThat(types(waiting, id)).doesNotContain("installed");
        for (String d : dirs.keySet()) {
            JsonNode m = waitFor(() -> json("GET", "/api/v1/devices/" + d, null).path("manifest"),
                    x -> x.path("bootState").asText().equals("committed"));
            assertThat(m.path("installedVersion").asText()).as(d).isEqualTo("1.0.0");
            if (!first.contains(d)) {
                assertThat(types(d, id)).as("a later-stage board never hears of the release").isEmpty();
            }
        }
        JsonNode end = rollout(id);
        assertThat(end.path("state").asText()).isEqualTo("halted");
        assertThat(end.path("stages").get(1).path("status").asText()).isEqualTo("waiting");
        assertThat(end.path("stages").get(0).path("funnel").path("rolled_back").asInt()).isEqualTo(1);
        assertThat(end.path("stages").get(0).path("funnel").path("withdrawn").asInt()).isEqualTo(1);
        int admitted = server.jdbi().withHandle(h -> h.createQuery(
                "SELECT COUNT(*) FROM rollout_devices WHERE rollout_id = :r").bind("r", id).mapTo(Integer.class).one());
        assertThat(admitted).isEqualTo(2);
    }

    @Test
    void aGoodReleaseGoesThroughEveryStageAndEveryBoardCommitsIt() throws Exception {
        dirs.keySet().forEach(this::idle);
        publish("1.2.0", TestImage.Behaviour.BOOT_OK);
        String id = startRollout("fw-1.2.0.img");
        List<String> first = stageDevices(id, 0);
        assertThat(first).hasSize(2);

        JsonNode done = waitFor(() -> rollout(id), r -> r.path("stage").asInt() == 1
                && r.path("stages").get(1).path("funnel").path("committed").asInt() == 8);

        assertThat(done.path("state").asText()).isEqualTo("active");
        assertThat(done.path("stages").get(0).path("funnel").path("committed").asInt()).isEqualTo(2);
        assertThat(done.path("gates").get(0).path("holds").asBoolean()).isTrue();
        for (String d : dirs.keySet()) {
            JsonNode m = waitFor(() -> json("GET", "/api/v1/devices/" + d, null).path("manifest"),
                    x -> x.path("installedVersion").asText().equals("1.2.0"));
            assertThat(m.path("bootState").asText()).isEqualTo("committed");
            List<String> t = types(d, id);
            assertThat(t).containsSubsequence("download_started", "installed", "trial_boot", "committed");
            assertThat(t).doesNotContain("rolled_back", "failed", "withdrawn");
        }
        // the first stage's boards committed before any board of the second stage was handed the release
        long lastFirstCommit = first.stream().mapToLong(d -> eventTime(d, id, "committed")).max().orElseThrow();
        for (String d : dirs.keySet()) {
            if (!first.contains(d)) {
                assertThat(eventTime(d, id, "download_started")).as(d).isGreaterThanOrEqualTo(lastFirstCommit);
            }
        }
    }

    @Test
    void withMaxConcurrentDownloadsTwoAtMostTwoBoardsHoldADownloadSlotAtOnceAndAllCommit() throws Exception {
        dirs.keySet().forEach(this::idle);
        publish("1.3.0", TestImage.Behaviour.BOOT_OK);
        long start = System.currentTimeMillis();
        JsonNode r = json("POST", "/api/v1/rollouts", "{\"target\": \"fw-1.3.0.img\", \"selection\": {},"
                + " \"plan\": {\"stages\": [{\"percent\": 100}], \"soakSeconds\": 0, \"timeoutSeconds\": 600},"
                + " \"policies\": {\"maxConcurrentDownloads\": 2}, \"start\": true}");
        String id = r.path("id").asText();

        waitFor(() -> rollout(id), x -> x.path("stages").get(0).path("funnel").path("committed").asInt() == BOARDS);
        long took = System.currentTimeMillis() - start;

        // each board held a slot from when its assignment was signed (admitted_at: the slot's start) to its
        // downloaded event; at no instant did more than two overlap
        List<long[]> slots = new ArrayList<>();
        for (String d : dirs.keySet()) {
            long signed = server.jdbi().withHandle(h -> h.createQuery(
                    "SELECT admitted_at FROM rollout_devices WHERE rollout_id = :r AND device_id = :d")
                    .bind("r", id).bind("d", d).mapTo(Long.class).one());
            slots.add(new long[] {signed, eventTime(d, id, "downloaded")});
            assertThat(types(d, id)).containsSubsequence("download_started", "downloaded", "installed", "committed");
        }
        int most = 0;
        for (long[] a : slots) {
            int at = 0;
            for (long[] b : slots) {
                if (b[0] <= a[0] && a[0] < b[1]) {
                    at++;
                }
            }
            most = Math.max(most, at);
        }
        log.add("measured: " + BOARDS + " boards through 2 download slots in " + took + " ms, at most " + most
                + " slots held at once");
        System.out.println(log.get(log.size() - 1));
        assertThat(most).isBetween(1, 2);
    }

    // ---- helpers ----

    private String startRollout(String target) throws Exception {
        JsonNode r = json("POST", "/api/v1/rollouts", "{\"target\": \"" + target + "\", \"selection\": {},"
                + " \"plan\": " + PLAN + ", \"start\": true}");
        assertThat(r.path("state").asText()).isEqualTo("active");
        return r.path("id").asText();
    }

    private List<String> stageDevices(String rolloutId, int stage) {
        return server.jdbi().withHandle(h -> h.createQuery(
                        "SELECT device_id FROM rollout_devices WHERE rollout_id = :r AND stage = :s ORDER BY device_id")
                .bind("r", rolloutId).bind("s", stage).mapTo(String.class).list());
    }

    private void idle(String deviceId) {
        try {
            Files.writeString(dirs.get(deviceId).resolve("idle"), "idle");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path boardDirOf(String deviceId) throws Exception {
        for (int i = 0; i < BOARDS; i++) {
            Path dir = tmp.resolve("board-" + i);
            try (var files = Files.walk(dir.resolve("state"))) {
                boolean mine = files.filter(Files::isRegularFile).anyMatch(f -> {
                    try {
                        return Files.readString(f).contains(deviceId);
                    } catch (Exception e) {
                        return false;
                    }
                });
                if (mine) {
                    return dir;
                }
            }
        }
        throw new AssertionError("no board holds device " + deviceId);
    }

    private JsonNode rollout(String id) throws Exception {
        return json("GET", "/api/v1/rollouts/" + id, null);
    }

    private List<JsonNode> events(String deviceId, String rolloutId) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        json("GET", "/api/v1/devices/" + deviceId + "/events?limit=500", null).path("items").forEach(e -> {
            if (rolloutId.equals(e.path("details").path("deploymentId").asText(null))) {
                out.add(e);
            }
        });
        return out;
    }

    /** The types of the device's events about the rollout, in the order the device sent them. */
    private List<String> types(String deviceId, String rolloutId) throws Exception {
        return events(deviceId, rolloutId).stream().map(e -> e.path("type").asText()).toList();
    }

    /** When the server received the device's first event of {@code type} about the rollout (epoch ms). */
    private long eventTime(String deviceId, String rolloutId, String type) {
        try {
            return events(deviceId, rolloutId).stream().filter(e -> e.path("type").asText().equals(type))
                    .map(e -> java.time.Instant.parse(e.path("receivedAt").asText()).toEpochMilli())
                    .findFirst().orElseThrow(() -> new AssertionError(deviceId + " sent no " + type));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void publish(String version, TestImage.Behaviour behaviour) throws Exception {
        Path image = tmp.resolve("fw-" + version + ".img");
        TestImage.write(image, behaviour, version, 20_000);
        ok(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", version, "--hardware", "board-r", "--targets-key", fx.key("targets"), "--no-progress"));
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.err()).isZero();
    }


    private <T> T waitFor(Await.Probe<T> probe, Predicate<T> done) throws Exception {
        return Await.until(probe, done, () -> "board log: " + log);
    }

    private JsonNode json(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body())).isBetween(200, 299);
        return CanonicalJson.parse(r.body());
    }
}
