package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import dev.flotilla.server.trust.TufStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.server.auth.Actor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a device's assignment is written: concurrent writers of one device never fail and the most recent
 * deployment wins; a device that joins and already runs the target gets the newer deployment when it holds
 * an older live one (as creating a deployment would do); assignments left pending by a server that stopped
 * are signed later. Over real HTTP, on H2 and PostgreSQL (two servers on PostgreSQL).
 */
class AssignmentWritesTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final List<TestServer> servers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private TestServer srv;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        servers.forEach(TestServer::close);
    }

    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data-" + db.kind()), clock);
        servers.add(srv);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        for (String v : List.of("1.0", "2.0")) {
            byte[] image = ("firmware " + v).getBytes();
            assertThat(repo.publish(srv.http, srv.adminToken, "fw-" + v + ".bin", image, repo.addTarget(
                    "fw-" + v + ".bin", image, v + ".0", "board-a", clock.instant()).sign(repo.targetsKey)).status())
                    .isEqualTo(201);
        }
    }

    /** A PUT through {@code s} (a second server on the same database has no admin token of its own). */
    private Http.Response put(TestServer s, String path, Map<String, Object> body) {
        return s.http.send("PUT", path, srv.adminToken, body, Map.of());
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

    /**
     * Many writers of one device's assignment at once: single-device deployments to it (alternating targets)
     * and tag changes that make it a member of a tag deployment, through two servers on PostgreSQL. None
     * fails (before, DELETE-then-INSERT let two writers both insert: duplicate key, HTTP 500), and the device
     * ends with the most recent deployment that named it.
     */
    @StoreTest
    void concurrentWritersOfOneDeviceNeverFailAndTheMostRecentDeploymentWins(TestDatabase db) throws Exception {
        start(db);
        List<TestServer> via = new ArrayList<>(List.of(srv));
        if (db.kind().equals("postgresql")) {
            TestServer b = TestServer.startBeside(srv, db, dir.resolve("data-b"), clock);
            servers.add(b);
            via.add(b);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 4; round++) {
                TestDevice d = srv.device(KeyType.ED25519, "board-a");
                String tag = "canary-" + round;
                Http.Response tagDep = srv.http.post("/api/v1/deployments", srv.adminToken,
                        Map.of("target", "fw-1.0.bin", "tag", tag, "allowEmpty", true));
                assertThat(tagDep.status()).as(tagDep.text()).isEqualTo(201);
                List<Callable<Http.Response>> work = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    TestServer s = via.get(i % via.size());
                    if (i % 4 == 3) {
                        List<String> tags = i % 8 == 3 ? List.of(tag) : List.of();
                        work.add(() -> put(s, "/api/v1/devices/" + d.id() + "/tags", Map.of("tags", tags)));
                    } else {
                        String target = i % 2 == 0 ? "fw-1.0.bin" : "fw-2.0.bin";
                        work.add(() -> s.http.post("/api/v1/deployments", srv.adminToken,
                                Map.of("target", target, "deviceId", d.id())));
                    }
                }
                List<Future<Http.Response>> done = pool.invokeAll(work);
                for (Future<Http.Response> f : done) {
                    Http.Response r = f.get();
                    assertThat(r.status()).as("round " + round + ": " + r.text()).isIn(200, 201);
                }
                // deployments are listed newest first: the first one naming this device must hold it
                String newest = null;
                for (JsonNode dep : srv.http.get("/api/v1/deployments?limit=500", srv.adminToken).json().path("items")) {
                    if (newest == null && (d.id().equals(dep.path("deviceId").asText(null))
                            || tag.equals(dep.path("tag").asText(null)))) {
                        newest = dep.path("id").asText();
                    }
                }
                JsonNode a = assignmentOf(d, "fw-0.9.bin").path("signed");
                assertThat(a.path("deploymentId").asText()).as("round " + round).isEqualTo(newest);
                assertThat(srv.http.get("/api/v1/deployments/" + newest, srv.adminToken).json().path("status")
                        .path("assigned").asInt()).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A device that runs the target of the newest deployment of the group it joins, and holds an older live
     * assignment of another target, gets the newer deployment, as creating that deployment would have given
     * it; without a live assignment to replace, it gets nothing.
     */
    @StoreTest
    void aJoiningDeviceThatRunsTheTargetDropsAnOlderLiveAssignment(TestDatabase db) {
        start(db);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        Http.Response single = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-2.0.bin", "deviceId", d.id()));
        String older = single.json().path("id").asText();
        assertThat(assignmentOf(d, "fw-1.0.bin").path("signed").path("deploymentId").asText()).isEqualTo(older);
        clock.advance(java.time.Duration.ofSeconds(1));
        String newer = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "group", "lab", "allowEmpty", true)).json().path("id").asText();

        assertThat(put(srv, "/api/v1/devices/" + d.id() + "/group", Map.of("group", "lab")).status()).isEqualTo(200);
        JsonNode a = assignmentOf(d, "fw-1.0.bin").path("signed");
        assertThat(a.path("deploymentId").asText()).isEqualTo(newer);
        assertThat(a.path("targetPath").asText()).isEqualTo("fw-1.0.bin");
        List<JsonNode> assigns = audit("deployment.assign");
        assertThat(assigns).hasSize(1);
        assertThat(assigns.get(0).path("before").path("deploymentId").asText()).isEqualTo(older);
        assertThat(assigns.get(0).path("before").path("status").asText()).isEqualTo("assigned");
        assertThat(assigns.get(0).path("after").path("deploymentId").asText()).isEqualTo(newer);
        assertThat(srv.http.get("/api/v1/deployments/" + older, srv.adminToken).json().path("status").size()).isZero();

        // the same device, had it been given the group at creation, would have been replaced the same way
        TestDevice member = srv.device(KeyType.ED25519, "board-a");
        srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-2.0.bin", "deviceId", member.id()));
        assertThat(put(srv, "/api/v1/devices/" + member.id() + "/group", Map.of("group", "lab2")).status())
                .isEqualTo(200);
        clock.advance(java.time.Duration.ofSeconds(1));
        String created = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "group", "lab2", "allowEmpty", true)).json().path("id").asText();
        assertThat(assignmentOf(member, "fw-1.0.bin").path("signed").path("deploymentId").asText()).isEqualTo(created);

        // a device that runs the target and holds a final assignment only is left alone
        TestDevice done = srv.device(KeyType.ED25519, "board-a");
        String own = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "deviceId", done.id())).json().path("id").asText();
        assertThat(assignmentOf(done, "fw-1.0.bin").path("signed").path("deploymentId").asText()).isEqualTo(own);
        Http.Response reported = srv.http.post("/api/v1/device/" + done.id() + "/events", done.token(),
                Map.of("events", List.of(Map.of("eventId", "c1", "type", "committed",
                        "details", Map.of("deploymentId", own)))));
        assertThat(reported.status()).as(reported.text()).isEqualTo(200);
        assertThat(reported.json().path("accepted").asInt()).isEqualTo(1);
        clock.advance(java.time.Duration.ofSeconds(1));
        String third = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "group", "lab3", "allowEmpty", true)).json().path("id").asText();
        assertThat(put(srv, "/api/v1/devices/" + done.id() + "/group", Map.of("group", "lab3")).status())
                .isEqualTo(200);
        srv.server.rollouts().evaluator().evaluate(); // a deployment keeps no positions: an evaluation admits nobody
        srv.server.checkIns().settle();
        JsonNode left = assignmentOf(done, "fw-1.0.bin");
        assertThat(left.isNull()).as("%s", left).isTrue();
        assertThat(srv.http.get("/api/v1/deployments/" + third, srv.adminToken).json().path("status").size()).isZero();
    }

    /**
     * Assignments a server recorded as pending but did not sign (it stopped half-way through creating a
     * group deployment) are signed by {@link Deployments#finishPending()}, once: the creating transaction's
     * audit entry counts the members, the devices are woken after the commit.
     */
    @StoreTest
    void pendingAssignmentsLeftBehindAreSignedOnce(TestDatabase db) {
        start(db);
        TestDevice a = srv.device(KeyType.ED25519, "board-a");
        TestDevice b = srv.device(KeyType.ED25519, "board-a");
        JsonNode dep = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "group", "lab", "allowEmpty", true)).json();
        String depId = dep.path("id").asText();
        assertThat(dep.path("status").size()).isZero();
        assertThat(audit("deployment.create").get(0).path("after").path("members").asInt()).isZero();

        Database second = Database.open(db.jdbcUrl());
        closeables.add(second);
        // what a server that stopped after the first transaction leaves: members recorded, nothing signed
        second.jdbi().useHandle(h -> {
            for (String id : List.of(a.id(), b.id())) {
                h.createUpdate("INSERT INTO deployment_pending (deployment_id, device_id) VALUES (:dep, :d)")
                        .bind("dep", depId).bind("d", id).execute();
            }
        });
        List<String> woken = new CopyOnWriteArrayList<>();
        Deployments other = new Deployments(second.jdbi(), new TufStore(), OfflineRepo.signer(),
                new AuditLog(clock), clock, woken::add);
        other.finishPending();
        other.finishPending();
        assertThat(woken).containsExactlyInAnyOrder(a.id(), b.id());
        assertThat(assignmentOf(a, "fw-0.9.bin").path("signed").path("deploymentId").asText()).isEqualTo(depId);
        assertThat(assignmentOf(b, "fw-0.9.bin").path("signed").path("counter").asLong()).isEqualTo(1);
        assertThat(srv.http.get("/api/v1/deployments/" + depId, srv.adminToken).json().path("status")
                .path("assigned").asInt()).isEqualTo(2);
        int left = second.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM deployment_pending")
                .mapTo(Integer.class).one());
        assertThat(left).isZero();
        assertThat(audit("deployment.assign")).as("members at creation are not automatic assignments").isEmpty();
    }

    /**
     * While a group deployment signs its members' assignments, a tag or group change of another device goes
     * through: the membership lock is held only by the transaction that records the deployment and its
     * members (before, it was held through all the signing, and the change waited, up to the lock timeout).
     */
    @StoreTest
    void aGroupChangeDoesNotWaitForTheSigningOfAGroupDeployment(TestDatabase db) throws Exception {
        start(db);
        TestDevice member = srv.device(KeyType.ED25519, "board-a");
        TestDevice other = srv.device(KeyType.ED25519, "board-a");
        assertThat(put(srv, "/api/v1/devices/" + member.id() + "/group", Map.of("group", "lab")).status())
                .isEqualTo(200);
        Database second = Database.open(db.jdbcUrl());
        closeables.add(second);
        CountDownLatch signing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Signer key = OfflineRepo.signer();
        Signer blocking = new Signer() {
            @Override
            public Key publicKey() {
                return key.publicKey();
            }

            @Override
            public byte[] sign(byte[] data) {
                signing.countDown();
                try {
                    assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return key.sign(data);
            }
        };
        Deployments slow = new Deployments(second.jdbi(), new TufStore(), blocking, new AuditLog(clock), clock,
                id -> { });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Deployment> created = pool.submit(() -> slow.create(DeploymentRequest.parse(
                    new ObjectMapper().valueToTree(Map.of("target", "fw-1.0.bin", "group", "lab", "allowEmpty", true))),
                    new Actor("token", "tok_test", "test")).deployment());
            assertThat(signing.await(30, TimeUnit.SECONDS)).isTrue();
            // the deployment is recorded and active: a device joining now is assigned on that write
            Http.Response joined = put(srv, "/api/v1/devices/" + other.id() + "/group", Map.of("group", "lab"));
            assertThat(joined.status()).as(joined.text()).isEqualTo(200);
            assertThat(created.isDone()).as("still signing the member's assignment").isFalse();
            release.countDown();
            Deployment dep = created.get(30, TimeUnit.SECONDS);
            assertThat(dep.status()).containsEntry("assigned", 2);
            assertThat(assignmentOf(other, "fw-0.9.bin").path("signed").path("deploymentId").asText())
                    .isEqualTo(dep.id());
            assertThat(audit("deployment.assign")).extracting(e -> e.path("targetId").asText())
                    .containsExactly(other.id());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
