package dev.flotilla.cli.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.mqtt.Mosquitto;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.server.push.MqttWakeUps;
import dev.flotilla.sim.SimulatedDevice;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several nodes as one, with real parts: three {@code flotilla server} processes on one PostgreSQL database and
 * one mosquitto broker, behind Debian's HAProxy run with docs/haproxy.cfg (TLS at HAProxy). Each node reads its
 * own copy of the same online keys ({@code --online-keys}); the release images are on one data directory all
 * nodes share. Boards running the real agent enroll, check in and report through HAProxy only, and an operator
 * publishes and starts a staged rollout through it. In the rollout's second stage the node that holds the
 * evaluation lock is killed with SIGKILL while it holds it (all nodes are frozen with SIGSTOP while the test
 * hands the lock over, so that the test knows which node took it); the other nodes take over the gate evaluation,
 * the rollout reaches its last stage and every board commits the release with all its reports; the killed node
 * is started again and HAProxy sends it requests again. Skipped when haproxy (or mosquitto) is not installed.
 */
class ThreeNodesTest {
    private static final Path ROOT = Path.of(System.getProperty("flotilla.root", ".."));
    private static final int BOARDS = 4;
    private static final String LOCK_QUERY = "%rollout_evaluation_lock%";

    @TempDir
    Path tmp;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final Nodes nodes = new Nodes();
    private HttpClient http;
    private URI lb;
    private String admin;
    private String databaseUrl;

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    @Test
    void aRolloutCompletesWhenTheNodeHoldingTheEvaluationLockIsKilled() throws Exception {
        Haproxy.assumeInstalled();
        Mosquitto.assumeInstalled();
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        cleanup.add(pg);
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE flotilla");
        }
        databaseUrl = pg.getJdbcUrl("postgres", "flotilla");
        Mosquitto broker = Mosquitto.start(tmp.resolve("broker"), Map.of(Mosquitto.SERVER_USER, "server-secret"));
        cleanup.add(broker);
        cleanup.add(nodes);
        Path brokerPassword = Files.writeString(tmp.resolve("mqtt-password"), "server-secret\n");
        Path store = tmp.resolve("secret-store");
        for (String role : List.of("snapshot", "timestamp", "director")) {
            ok(CliRun.of("keys", "generate", "--type", "ed25519", "--out", store, "--name", role));
        }
        for (int n = 1; n <= 3; n++) {
            Path copy = Files.createDirectories(tmp.resolve("node" + n + "-keys"));
            for (String role : List.of("snapshot", "timestamp", "director")) {
                Files.copy(store.resolve(role + ".pem"), copy.resolve(role + ".pem"));
            }
            nodes.define(n, List.of("--data", tmp.resolve("shared-data").toString(), "--online-keys", copy.toString(),
                    "--database", databaseUrl + "&ApplicationName=flotilla-node" + n, "--poll-interval", "2",
                    "--mqtt-url", broker.url().toString(), "--mqtt-username", Mosquitto.SERVER_USER,
                    "--mqtt-password-file", brokerPassword.toString(), "--mqtt-ca-bundle", broker.caPem().toString()));
        }
        admin = nodes.start(1).adminToken();
        nodes.start(2);
        nodes.start(3);
        nodes.awaitListening(2);
        nodes.awaitListening(3);

        TestCa ca = TestCa.create(tmp.resolve("lb-ca"));
        Path caBundle = tmp.resolve("ca-bundle.pem"); // what devices and the operator trust: HAProxy's and the broker's CA
        Files.writeString(caBundle, Files.readString(ca.caPem()) + Files.readString(broker.caPem()));
        http = HttpClient.newBuilder().sslContext(CaBundle.sslContext(ca.caPem())).build();
        startHaproxy(ca);
        assertThat(nodesAnswering(12)).as("round robin over the three nodes").containsExactlyInAnyOrder(
                "node1", "node2", "node3");

        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", lb, "--token", admin, "--ca-bundle", caBundle,
                "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"),
                "--sign-with", fx.key("root1")));
        Path image = tmp.resolve("fw-1.1.0.img");
        TestImage.write(image, TestImage.Behaviour.BOOT_OK, "1.1.0", 20_000);
        ok(CliRun.of("release", "publish", "--server", lb, "--token", admin, "--ca-bundle", caBundle, "--image", image,
                "--version", "1.1.0", "--hardware", "board-n", "--targets-key", fx.key("targets"), "--no-progress"));

        List<String> devices = startBoards(fx.repo.resolve("1.root.json"), caBundle);
        Map<String, Integer> wakeUps = subscribeToWakeUps(broker, devices);

        String rollout = json("POST", "/api/v1/rollouts", "{\"target\": \"fw-1.1.0.img\", \"selection\": {},"
                + " \"plan\": {\"stages\": [{\"percent\": 25}, {\"percent\": 50}, {\"percent\": 100}],"
                + " \"soakSeconds\": 0, \"timeoutSeconds\": 600,"
                + " \"gates\": {\"failureRate\": {\"max\": 0, \"minDevices\": 1}}}, \"start\": true}").path("id").asText();
        waitFor(() -> json("GET", "/api/v1/rollouts/" + rollout, null), r -> r.path("stage").asInt() == 1);

        int victim = killTheNodeHoldingTheEvaluationLock();
        long killedAt = System.currentTimeMillis();
        JsonNode done = waitFor(() -> json("GET", "/api/v1/rollouts/" + rollout, null),
                r -> r.path("stage").asInt() == 2 && committed(r) == BOARDS);
        assertThat(done.path("state").asText()).isEqualTo("active");
        assertThat(done.path("gates").get(0).path("holds").asBoolean()).isTrue();
        assertThat(json("GET", "/api/v1/devices?limit=100", null).path("items")).hasSize(BOARDS);
        for (String d : devices) {
            JsonNode m = waitFor(() -> json("GET", "/api/v1/devices/" + d, null).path("manifest"),
                    x -> x.path("installedVersion").asText().equals("1.1.0"));
            assertThat(m.path("bootState").asText()).isEqualTo("committed");
            List<String> types = waitFor(() -> types(d, rollout), t -> t.contains("committed"));
            assertThat(types).as(d + ": every report of the update arrived").containsSubsequence("download_started",
                    "downloaded", "verified", "installed", "rebooting", "trial_boot", "committed");
            assertThat(types).doesNotContain("failed", "rolled_back", "timed_out");
            assertThat(wakeUps.getOrDefault(d, 0)).as(d + " woken through the broker by a node").isPositive();
        }

        long completedAt = System.currentTimeMillis();
        nodes.start(victim);
        waitFor(() -> nodesAnswering(6), seen -> seen.contains("node" + victim));
        System.out.printf("three nodes: node%d killed holding the evaluation lock in stage 2 of 3; the rollout completed"
                + " %d ms later; node%d back behind HAProxy %d ms after that%n", victim, completedAt - killedAt, victim,
                System.currentTimeMillis() - completedAt);
    }

    /**
     * Hands the evaluation lock to a node and kills that node while it holds it: the test takes the lock row
     * itself, waits until the nodes' evaluators wait for it, freezes every node (SIGSTOP), lets the lock go, finds
     * the one node whose (frozen) transaction now holds it, thaws the others and kills it (SIGKILL).
     *
     * @return the number of the node killed
     */
    private int killTheNodeHoldingTheEvaluationLock() throws Exception {
        try (Connection holder = DriverManager.getConnection(databaseUrl);
             Connection watch = DriverManager.getConnection(databaseUrl)) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.executeQuery("SELECT id FROM rollout_evaluation_lock WHERE id = 1 FOR UPDATE").close();
            }
            // every node's evaluator waits for the lock (a node may have more than one transaction waiting)
            int waiting = waitFor(() -> backends(watch, "active"), w -> Set.copyOf(w).size() == 3).size();
            for (int n = 1; n <= 3; n++) {
                nodes.signal(n, "STOP");
            }
            holder.commit();
            List<String> holding = waitFor(() -> backends(watch, "idle in transaction"), h -> !h.isEmpty());
            assertThat(holding).as("one evaluator at a time").hasSize(1);
            assertThat(backends(watch, "active")).as("the others wait for it").hasSize(waiting - 1);
            int victim = Integer.parseInt(holding.getFirst().substring("flotilla-node".length()));
            for (int n = 1; n <= 3; n++) {
                if (n != victim) {
                    nodes.signal(n, "CONT");
                }
            }
            nodes.kill(victim);
            waitFor(() -> backends(watch, "idle in transaction"), List::isEmpty);
            return victim;
        }
    }

    /** The nodes (application names) whose connections are in {@code state} on the evaluation lock's query. */
    private static List<String> backends(Connection watch, String state) throws Exception {
        List<String> out = new ArrayList<>();
        try (var q = watch.prepareStatement("SELECT application_name FROM pg_stat_activity WHERE application_name"
                + " LIKE 'flotilla-node%' AND state = ? AND query LIKE ? ORDER BY application_name")) {
            q.setString(1, state);
            q.setString(2, LOCK_QUERY);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }

    private void startHaproxy(TestCa ca) throws Exception {
        Haproxy haproxy = Haproxy.start(ROOT.resolve("docs/haproxy.cfg"), tmp, ca,
                List.of(nodes.port(1), nodes.port(2), nodes.port(3)));
        cleanup.add(haproxy);
        lb = haproxy.url();
        waitFor(() -> {
            try {
                return get("/healthz").statusCode();
            } catch (java.io.IOException notYet) {
                assertThat(haproxy.alive()).as(haproxy.log()).isTrue();
                return 0;
            }
        }, status -> status == 200);
    }

    /** The nodes that answered {@code count} requests through HAProxy (its X-Flotilla-Node header). */
    private Set<String> nodesAnswering(int count) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            HttpResponse<byte[]> r = get("/healthz");
            if (r.statusCode() == 200) {
                r.headers().firstValue("X-Flotilla-Node").ifPresent(seen::add);
            }
        }
        return seen;
    }

    /** Provisions and runs the boards against HAProxy's URL; returns their device ids once all checked in. */
    private List<String> startBoards(Path root, Path caBundle) throws Exception {
        String enroll = json("POST", "/api/v1/enrollment-tokens", "{\"description\":\"boards\", \"maxUses\": " + BOARDS
                + "}").path("secret").asText();
        for (int i = 0; i < BOARDS; i++) {
            Path dir = tmp.resolve("board-" + i);
            Path conf = SimulatedDevice.provision(dir, lb, enroll, root, "board-n", "1.0.0", 4096, 2, 1);
            ObjectNode c = (ObjectNode) CanonicalJson.parse(Files.readAllBytes(conf));
            c.put("caBundle", caBundle.toString());
            Files.write(conf, CanonicalJson.pretty(c));
            int n = i;
            SimulatedDevice board = new SimulatedDevice(dir, new DirectorAssignmentAdapter(Clock.systemUTC()),
                    line -> log.add(n + ": " + line));
            Thread t = Thread.ofPlatform().name("board-" + i).start(() -> {
                try {
                    board.run();
                } catch (Exception e) {
                    log.add(n + ": board stopped: " + e);
                }
            });
            cleanup.add(() -> {
                board.stop();
                t.join(30_000);
            });
        }
        JsonNode items = waitFor(() -> json("GET", "/api/v1/devices?limit=100", null).path("items"),
                x -> x.size() == BOARDS);
        List<String> ids = new ArrayList<>();
        for (JsonNode d : items) {
            String id = d.path("id").asText();
            ids.add(id);
            waitFor(() -> json("GET", "/api/v1/devices/" + id, null).path("manifest"),
                    m -> m.path("installedVersion").asText().equals("1.0.0"));
        }
        return ids;
    }

    /** Each device's own broker account, subscribed to its wake-up topic; counts the wake-ups each receives. */
    private Map<String, Integer> subscribeToWakeUps(Mosquitto broker, List<String> devices) throws Exception {
        Map<String, String> accounts = new LinkedHashMap<>();
        devices.forEach(d -> accounts.put(d, "pw-" + d));
        broker.addUsers(accounts);
        Map<String, Integer> received = new ConcurrentHashMap<>();
        for (String d : devices) {
            Mqtt3AsyncClient c = broker.broker(d, "pw-" + d).clientBuilder(d, 5).buildAsync();
            c.publishes(MqttGlobalPublishFilter.ALL, p -> received.merge(d, 1, Integer::sum));
            c.connectWith().cleanSession(true).send().thenCompose(ack -> c.subscribeWith()
                    .topicFilter(MqttWakeUps.topic(d)).qos(MqttQos.AT_LEAST_ONCE).send()).get(30, TimeUnit.SECONDS);
            cleanup.add(c::disconnect);
        }
        return received;
    }

    /** Devices of the rollout that committed, over its stages (each stage's funnel counts the devices it admitted). */
    private static int committed(JsonNode rollout) {
        int sum = 0;
        for (JsonNode stage : rollout.path("stages")) {
            sum += stage.path("funnel").path("committed").asInt();
        }
        return sum;
    }

    private List<String> types(String deviceId, String rolloutId) throws Exception {
        List<String> out = new ArrayList<>();
        json("GET", "/api/v1/devices/" + deviceId + "/events?limit=500", null).path("items").forEach(e -> {
            if (rolloutId.equals(e.path("details").path("deploymentId").asText(null))) {
                out.add(e.path("type").asText());
            }
        });
        return out;
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    /** Polls until {@code done}; gives up after three minutes (a hung part, not a measure of speed). */
    private <T> T waitFor(Probe<T> probe, Predicate<T> done) throws Exception {
        long end = System.currentTimeMillis() + 180_000;
        T last = null;
        while (System.currentTimeMillis() < end) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not reached; last value: " + last + "; nodes: " + nodes.output() + "; boards: " + log);
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(lb.resolve(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode json(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(lb.resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body())).isBetween(200, 299);
        return CanonicalJson.parse(r.body());
    }
}
