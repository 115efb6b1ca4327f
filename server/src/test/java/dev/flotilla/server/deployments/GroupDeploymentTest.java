package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.director.AssignmentDecision;
import dev.flotilla.core.director.AssignmentVerifier;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group and tag deployments that follow membership: devices that join while the deployment is active are
 * assigned on that write, with the documented precedence; cancelling stops it; the forced flag is signed into
 * the assignments. Over real HTTP, on H2 and PostgreSQL, and with two servers on one PostgreSQL.
 */
class GroupDeploymentTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final byte[] image = "firmware 1.0 for the lab".getBytes();
    private final byte[] image2 = "firmware 2.0 for the lab".getBytes();
    private final List<TestServer> servers = new ArrayList<>();
    private TestServer srv;

    @AfterEach
    void stop() {
        servers.forEach(TestServer::close);
    }

    /** A server on {@code db} with a root and the releases fw-1.0.bin and fw-2.0.bin. */
    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data-" + db.kind()), clock);
        servers.add(srv);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        assertThat(repo.publish(srv.http, srv.adminToken, "fw-1.0.bin", image, repo.addTarget("fw-1.0.bin", image,
                "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey)).status()).isEqualTo(201);
        assertThat(repo.publish(srv.http, srv.adminToken, "fw-2.0.bin", image2, repo.addTarget("fw-2.0.bin", image2,
                "2.0.0", "board-a", clock.instant()).sign(repo.targetsKey)).status()).isEqualTo(201);
    }

    private JsonNode deploy(TestServer s, Map<String, Object> body) {
        Http.Response r = s.http.post("/api/v1/deployments", srv.adminToken, body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json();
    }

    private Http.Response setGroup(TestServer s, String deviceId, String group) {
        Map<String, Object> body = new java.util.HashMap<>();
        body.put("group", group);
        Http.Response r = s.http.send("PUT", "/api/v1/devices/" + deviceId + "/group", srv.adminToken, body, Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r;
    }

    private JsonNode assignmentOf(TestDevice d, String runs) {
        Http.Response r = d.checkIn(srv.http, d.envelope(d.manifest(d.id(), runs)), null);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json().path("assignment");
    }

    private List<JsonNode> audit(String action) {
        List<JsonNode> out = new ArrayList<>();
        srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").forEach(e -> {
            if (e.path("action").asText().equals(action)) {
                out.add(e);
            }
        });
        return out;
    }

    private Updater updater(Path home) throws Exception {
        Path meta = home.resolve("metadata");
        Files.createDirectories(meta);
        Updater.initialize(meta, repo.root.toBytes());
        URI base = srv.server.uri();
        Updater u = new Updater(UpdaterConfig.of(meta, base.resolve("/tuf/metadata/"), home.resolve("targets"),
                base.resolve("/tuf/targets/")), new HttpFetcher(), clock);
        u.refresh();
        return u;
    }

    @StoreTest
    void aDeviceThatJoinsTheGroupLaterIsAssignedAtItsNextCheckIn(TestDatabase db) throws Exception {
        start(db);
        TestDevice early = srv.device(KeyType.ED25519, "board-a");
        setGroup(srv, early.id(), "lab");
        TestDevice late = srv.device(KeyType.ECDSA_P256, "board-a");
        JsonNode dep = deploy(srv, Map.of("target", "fw-1.0.bin", "group", "lab", "allowEmpty", true));
        String depId = dep.path("id").asText();
        assertThat(dep.path("state").asText()).isEqualTo("active");
        assertThat(dep.path("forced").asBoolean()).isFalse();
        assertThat(dep.path("status").path("assigned").asInt()).isEqualTo(1);

        // the late device is idle (304) until it joins the group
        var env = late.envelope(late.manifest(late.id(), "fw-0.9.bin"));
        Http.Response idle = late.checkIn(srv.http, env, null);
        assertThat(idle.json().path("assignment").isNull()).isTrue();
        String etag = idle.header("ETag").orElseThrow();
        assertThat(late.checkIn(srv.http, env, etag).status()).isEqualTo(304);
        setGroup(srv, late.id(), "lab");
        Http.Response next = late.checkIn(srv.http, env, etag);
        assertThat(next.status()).isEqualTo(200);
        JsonNode assignment = next.json().path("assignment");
        Updater updater = updater(dir.resolve("device-" + db.kind()));
        AssignmentDecision d = AssignmentVerifier.verify(assignment, updater.trusted().root().signed(),
                new AssignmentVerifier.DeviceState(late.id(), 0, new DeviceFacts("board-a", "0.9.0", 0)),
                clock.instant(), updater::getTargetInfo);
        assertThat(d).isInstanceOf(AssignmentDecision.Accept.class);
        assertThat(((AssignmentDecision.Accept) d).assignment().deploymentId()).isEqualTo(depId);
        assertThat(((AssignmentDecision.Accept) d).assignment().forced()).isFalse();
        assertThat(srv.http.get("/api/v1/deployments/" + depId, srv.adminToken).json().path("status")
                .path("assigned").asInt()).isEqualTo(2);
        List<JsonNode> assigns = audit("deployment.assign");
        assertThat(assigns).hasSize(1);
        assertThat(assigns.get(0).path("actorKind").asText()).isEqualTo("system");
        assertThat(assigns.get(0).path("actorId").asText()).isEqualTo(depId);
        assertThat(assigns.get(0).path("targetId").asText()).isEqualTo(late.id());

        // leaving and re-joining, or setting the same group again, assigns nothing twice
        long counter = assignment.path("signed").path("counter").asLong();
        setGroup(srv, late.id(), null);
        assertThat(assignmentOf(late, "fw-0.9.bin").path("signed").path("deploymentId").asText())
                .as("leaving the group keeps the assignment already issued").isEqualTo(depId);
        setGroup(srv, late.id(), "lab");
        setGroup(srv, late.id(), "lab");
        assertThat(assignmentOf(late, "fw-0.9.bin").path("signed").path("counter").asLong()).isEqualTo(counter);
        assertThat(audit("deployment.assign")).hasSize(1);

        // a device pre-registered into the group gets it before it ever enrolls
        TestDevice pre = new TestDevice(KeyType.ED25519);
        Http.Response reg = srv.http.post("/api/v1/devices", srv.adminToken, Map.of("publicKey", pre.publicKeyJson(),
                "hardwareId", "board-a", "group", "lab"));
        assertThat(reg.status()).as(reg.text()).isEqualTo(201);
        String preId = reg.json().path("id").asText();
        assertThat(srv.http.get("/api/v1/deployments/" + depId, srv.adminToken).json().path("status")
                .path("assigned").asInt()).isEqualTo(3);
        assertThat(pre.enroll(srv.http, null, "board-a").status()).isEqualTo(201);
        assertThat(pre.id()).isEqualTo(preId);
        assertThat(pre.login(srv.http).status()).isEqualTo(200);
        assertThat(assignmentOf(pre, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(depId);
        assertThat(audit("deployment.assign")).extracting(e -> e.path("targetId").asText()).contains(preId);
    }

    @StoreTest
    void aTagDeploymentFollowsTagsAndTheMostRecentDeploymentWins(TestDatabase db) {
        start(db);
        TestDevice a = srv.device(KeyType.ED25519, "board-a");
        TestDevice b = srv.device(KeyType.ED25519, "board-a");
        String older = deploy(srv, Map.of("target", "fw-1.0.bin", "group", "lab", "allowEmpty", true)).path("id").asText();
        clock.advance(java.time.Duration.ofSeconds(1));
        String newer = deploy(srv, Map.of("target", "fw-2.0.bin", "tag", "canary", "allowEmpty", true)).path("id").asText();
        assertThat(srv.http.get("/api/v1/deployments/" + newer, srv.adminToken).json().path("tag").asText())
                .isEqualTo("canary");

        // a joins the group, then gets the tag: the newer (tag) deployment replaces the group one
        setGroup(srv, a.id(), "lab");
        assertThat(assignmentOf(a, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(older);
        Http.Response tags = srv.http.send("PUT", "/api/v1/devices/" + a.id() + "/tags", srv.adminToken,
                Map.of("tags", List.of("canary")), Map.of());
        assertThat(tags.status()).isEqualTo(200);
        assertThat(assignmentOf(a, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(newer);
        // b has the tag first; joining the group of the older deployment later changes nothing
        srv.http.send("PUT", "/api/v1/devices/" + b.id() + "/tags", srv.adminToken, Map.of("tags", List.of("canary")),
                Map.of());
        setGroup(srv, b.id(), "lab");
        assertThat(assignmentOf(b, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(newer);

        // a device that already runs the target is not assigned it
        TestDevice runs = srv.device(KeyType.ED25519, "board-a");
        assertThat(assignmentOf(runs, "fw-1.0.bin").isNull()).isTrue();
        setGroup(srv, runs.id(), "lab");
        assertThat(assignmentOf(runs, "fw-1.0.bin").isNull()).isTrue();

        // a device that committed the deployment, left and came back, is not assigned it again
        TestDevice done = srv.device(KeyType.ED25519, "board-a");
        setGroup(srv, done.id(), "lab");
        assertThat(assignmentOf(done, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(older);
        srv.http.post("/api/v1/device/" + done.id() + "/events", done.token(), Map.of("events",
                List.of(Map.of("eventId", "c1", "type", "committed", "details", Map.of("deploymentId", older)))));
        setGroup(srv, done.id(), "elsewhere");
        setGroup(srv, done.id(), "lab");
        assertThat(assignmentOf(done, "fw-1.0.bin").isNull()).isTrue();
        assertThat(srv.http.get("/api/v1/deployments/" + older, srv.adminToken).json().path("status")
                .path("committed").asInt()).isEqualTo(1);

        // a device holding a more recent single-device deployment keeps it when it joins the group
        TestDevice own = srv.device(KeyType.ED25519, "board-a");
        clock.advance(java.time.Duration.ofSeconds(1));
        String single = deploy(srv, Map.of("target", "fw-2.0.bin", "deviceId", own.id())).path("id").asText();
        setGroup(srv, own.id(), "lab");
        assertThat(assignmentOf(own, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(single);

        // a decommissioned device is never assigned
        TestDevice gone = srv.device(KeyType.ED25519, "board-a");
        srv.http.post("/api/v1/devices/" + gone.id() + "/decommission", srv.adminToken, Map.of());
        setGroup(srv, gone.id(), "lab");
        assertThat(audit("deployment.assign")).extracting(e -> e.path("targetId").asText()).doesNotContain(gone.id());
    }

    @StoreTest
    void aCancelledDeploymentAssignsNobodyNew(TestDatabase db) {
        start(db);
        TestDevice member = srv.device(KeyType.ED25519, "board-a");
        setGroup(srv, member.id(), "lab");
        String depId = deploy(srv, Map.of("target", "fw-1.0.bin", "group", "lab", "allowEmpty", true)).path("id").asText();
        Http.Response cancelled = srv.http.post("/api/v1/deployments/" + depId + "/cancel", srv.adminToken, Map.of());
        assertThat(cancelled.status()).as(cancelled.text()).isEqualTo(200);
        assertThat(cancelled.json().path("state").asText()).isEqualTo("cancelled");
        assertThat(cancelled.json().path("cancelledAt").isTextual()).isTrue();
        // the assignment already issued stays; a device joining now gets nothing
        assertThat(assignmentOf(member, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(depId);
        TestDevice late = srv.device(KeyType.ED25519, "board-a");
        setGroup(srv, late.id(), "lab");
        assertThat(assignmentOf(late, "fw-0.9.bin").isNull()).isTrue();
        assertThat(audit("deployment.assign")).isEmpty();
        // cancelling again changes nothing (one audit entry); an unknown deployment is 404
        assertThat(srv.http.post("/api/v1/deployments/" + depId + "/cancel", srv.adminToken, Map.of()).json()
                .path("cancelledAt").asText()).isEqualTo(cancelled.json().path("cancelledAt").asText());
        assertThat(audit("deployment.cancel")).hasSize(1);
        assertThat(srv.http.post("/api/v1/deployments/dep_nope/cancel", srv.adminToken, Map.of()).status())
                .isEqualTo(404);
    }

    @StoreTest
    void aForcedDeploymentSignsForcedIntoEveryAssignment(TestDatabase db) throws Exception {
        start(db);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        TestDevice late = srv.device(KeyType.ED25519, "board-a");
        setGroup(srv, d.id(), "lab");
        Http.Response bad = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "group", "lab", "forced", "yes"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(srv.http.get("/api/v1/deployments", srv.adminToken).json().path("items").size()).isZero();
        JsonNode dep = deploy(srv, Map.of("target", "fw-1.0.bin", "group", "lab", "forced", true));
        assertThat(dep.path("forced").asBoolean()).isTrue();
        setGroup(srv, late.id(), "lab");
        Updater updater = updater(dir.resolve("device-" + db.kind()));
        for (TestDevice t : List.of(d, late)) {
            JsonNode a = assignmentOf(t, "fw-0.9.bin");
            assertThat(a.path("signed").path("forced").asBoolean()).isTrue();
            AssignmentDecision decision = AssignmentVerifier.verify(a, updater.trusted().root().signed(),
                    new AssignmentVerifier.DeviceState(t.id(), 0, new DeviceFacts("board-a", "0.9.0", 0)),
                    clock.instant(), updater::getTargetInfo);
            assertThat(((AssignmentDecision.Accept) decision).assignment().forced()).isTrue();
        }
        // re-signed close to expiry, it stays forced
        clock.advance(java.time.Duration.ofDays(6).plusHours(1));
        assertThat(d.login(srv.http).status()).isEqualTo(200);
        JsonNode resigned = assignmentOf(d, "fw-0.9.bin");
        assertThat(resigned.path("signed").path("counter").asLong()).isGreaterThan(1);
        assertThat(resigned.path("signed").path("forced").asBoolean()).isTrue();
        // an unforced deployment signs forced: false
        TestDevice plain = srv.device(KeyType.ED25519, "board-a");
        deploy(srv, Map.of("target", "fw-2.0.bin", "deviceId", plain.id()));
        JsonNode unforced = assignmentOf(plain, "fw-0.9.bin").path("signed");
        assertThat(unforced.has("forced")).isTrue();
        assertThat(unforced.path("forced").asBoolean()).isFalse();
    }

    /**
     * Two servers on one PostgreSQL: devices join a group through server A while server B creates a
     * deployment to that group. Every member ends with exactly one assignment of it, never two: the members
     * the creating transaction recorded plus the devices assigned on joining are the group, exactly.
     */
    @Test
    void twoServersNeverMissNorDoubleAssignAJoiningDevice() throws Exception {
        TestDatabase db = BothDatabases.postgres();
        start(db);
        TestServer a = srv;
        TestServer b = TestServer.start(db, dir.resolve("data-" + db.kind()), clock);
        servers.add(b);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                String group = "race-" + round;
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    TestDevice d = new TestDevice(KeyType.ED25519);
                    Http.Response reg = a.http.post("/api/v1/devices", a.adminToken,
                            Map.of("publicKey", d.publicKeyJson(), "hardwareId", "board-a"));
                    assertThat(reg.status()).as(reg.text()).isEqualTo(201);
                    ids.add(reg.json().path("id").asText());
                }
                List<Callable<Object>> work = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    String id = ids.get(i);
                    TestServer via = i % 2 == 0 ? a : b;
                    work.add(() -> setGroup(via, id, group));
                    if (i == ids.size() / 2) {
                        work.add(() -> deploy(b, Map.of("target", "fw-1.0.bin", "group", group)));
                    }
                }
                String depId = null;
                for (Future<Object> f : pool.invokeAll(work)) {
                    Object r = f.get();
                    if (r instanceof JsonNode n && n.has("targetPath")) {
                        depId = n.path("id").asText();
                    }
                }
                JsonNode dep = a.http.get("/api/v1/deployments/" + depId, a.adminToken).json();
                assertThat(dep.path("status").path("assigned").asInt()).as("round " + round).isEqualTo(ids.size());
                String finalDepId = depId;
                // members at creation (signed after the creating transaction) and devices that joined later
                int assignedAtCreation = audit("deployment.create").stream()
                        .filter(e -> e.path("targetId").asText().equals(finalDepId))
                        .mapToInt(e -> e.path("after").path("members").asInt()).sum();
                long automatic = audit("deployment.assign").stream()
                        .filter(e -> e.path("actorId").asText().equals(finalDepId)).count();
                assertThat(assignedAtCreation + automatic).as("each device assigned once, round " + round)
                        .isEqualTo(ids.size());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
