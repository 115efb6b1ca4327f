package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real server on loopback with a fake clock, the releases fw-1.0.bin (1.0.0) and fw-2.0.bin (2.0.0) for
 * board-a, and simulated devices that check in with signed manifests and post events over HTTP. Public for the
 * dashboard's rollout tests.
 */
public final class Fleet implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    public final MutableClock clock = new MutableClock();
    public final OfflineRepo repo = new OfflineRepo();
    private final TestDatabase db;
    private final Path dataDir;
    public TestServer srv;
    /** The admin token of the first start (a restarted server makes none). */
    public final String admin;
    private final AtomicInteger events = new AtomicInteger();
    private final UnaryOperator<ServerConfig> tweak;

    public Fleet(TestDatabase db, Path dir) {
        this(db, dir, c -> c);
    }

    /** The fleet on a server whose test configuration {@code tweak} changes (an MQTT broker, say). */
    public Fleet(TestDatabase db, Path dir, UnaryOperator<ServerConfig> tweak) {
        this.db = db;
        this.dataDir = dir.resolve("data-" + db.kind());
        this.tweak = tweak;
        srv = TestServer.start(db, dataDir, clock, tweak);
        admin = srv.adminToken;
        repo.trust(srv.http, admin, clock.instant());
        publish("fw-1.0.bin", "1.0.0", "board-a");
        publish("fw-2.0.bin", "2.0.0", "board-a");
    }

    public void publish(String path, String version, String hardware) {
        publish(path, version, List.of(hardware));
    }

    /** Publishes a release whose signed target lists every one of {@code hardware}. */
    public void publish(String path, String version, List<String> hardware) {
        byte[] image = ("firmware " + path).getBytes();
        assertThat(repo.publish(srv.http, admin, path, image, repo.addTarget(path, image, version, hardware, 0,
                clock.instant()).sign(repo.targetsKey)).status()).isEqualTo(201);
    }

    /** {@code n} enrolled devices of {@code hardware} that reported running fw-1.0.bin (securityVersion 0). */
    public List<TestDevice> devices(int n, String hardware) {
        List<TestDevice> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TestDevice d = srv.device(KeyType.ED25519, hardware);
            checkIn(d, "fw-1.0.bin", "1.0.0", 0, "ok");
            out.add(d);
        }
        return out;
    }

    /** A check-in with a manifest: what the device runs; returns the assignment envelope (null node: none). */
    public JsonNode checkIn(TestDevice d, String target, String version, long securityVersion, String health) {
        ObjectNode m = d.manifest(d.id(), target);
        m.put("installedVersion", version);
        m.put("securityVersion", securityVersion);
        m.put("healthState", health);
        Http.Response r = d.checkIn(srv.http, d.envelope(m), null);
        if (r.status() == 401) { // the device's token expired on the fake clock: log in again
            assertThat(d.login(srv.http).status()).isEqualTo(200);
            r = d.checkIn(srv.http, d.envelope(m), null);
        }
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json().path("assignment");
    }

    /** The device's current assignment at a check-in as running fw-1.0.bin; a null node when it has none. */
    public JsonNode assignment(TestDevice d) {
        return checkIn(d, "fw-1.0.bin", "1.0.0", 0, "ok");
    }

    public void report(TestDevice d, String rolloutId, String type, Map<String, Object> more) {
        Map<String, Object> details = new java.util.HashMap<>(more);
        details.put("deploymentId", rolloutId);
        Map<String, Object> batch = Map.of("events",
                List.of(Map.of("eventId", "e" + events.incrementAndGet(), "type", type, "details", details)));
        Http.Response r = srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);
        if (r.status() == 401) {
            assertThat(d.login(srv.http).status()).isEqualTo(200);
            r = srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);
        }
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    /** The device installs and commits the rollout's release. */
    public void commit(TestDevice d, String rolloutId) {
        report(d, rolloutId, "installed", Map.of());
        report(d, rolloutId, "committed", Map.of());
    }

    public Http.Response post(String path, Object body) {
        return srv.http.post(path, admin, body);
    }

    /** Creates and starts a rollout; returns it. */
    public JsonNode start(Map<String, Object> body) {
        Map<String, Object> b = new java.util.HashMap<>(body);
        b.put("start", true);
        Http.Response r = post("/api/v1/rollouts", b);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json();
    }

    public JsonNode act(String id, String action) {
        Http.Response r = post("/api/v1/rollouts/" + id + "/" + action, Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    public JsonNode get(String id) {
        Http.Response r = srv.http.get("/api/v1/rollouts/" + id, admin);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    /**
     * One evaluator tick after moving the clock on by {@code d}; returns once check-ins answer what it wrote
     * (on PostgreSQL the check-in cache learns of the evaluator's writes from the change feed, within a lease).
     */
    public JsonNode tick(String id, Duration d) {
        clock.advance(d);
        srv.server.rollouts().evaluator().evaluate();
        srv.server.checkIns().settle();
        return get(id);
    }

    /** The devices holding a live assignment of {@code rolloutId}. */
    /** The devices whose check-in answers an assignment of the rollout that is not withdrawn. */
    public List<TestDevice> assigned(List<TestDevice> fleet, String rolloutId) {
        return fleet.stream().filter(d -> {
            JsonNode signed = assignment(d).path("signed");
            return rolloutId.equals(signed.path("deploymentId").asText(null)) && !signed.path("withdrawn").asBoolean();
        }).toList();
    }

    public List<JsonNode> audit(String action) {
        List<JsonNode> out = new ArrayList<>();
        srv.http.get("/api/v1/audit?limit=500", admin).json().path("items").forEach(e -> {
            if (e.path("action").asText().equals(action)) {
                out.add(e);
            }
        });
        return out;
    }

    public void setGroup(TestDevice d, String group) {
        Http.Response r = srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/group", admin,
                Map.of("group", group), Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    public void setTags(TestDevice d, String... tags) {
        Http.Response r = srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/tags", admin,
                Map.of("tags", List.of(tags)), Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    public static Map<String, Object> plan(String json) {
        try {
            return JSON.readValue(json.replace('\'', '"'), Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Stops the server and starts a new one on the same database and data directory. */
    public void restart() {
        srv.close();
        srv = TestServer.start(db, dataDir, clock, tweak);
    }

    @Override
    public void close() {
        srv.close();
    }
}
