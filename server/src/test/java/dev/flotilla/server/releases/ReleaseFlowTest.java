package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.director.AssignmentDecision;
import dev.flotilla.core.director.AssignmentVerifier;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.BearerFetcher;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over real HTTP: online keys, root upload, release publishing (and its refusals), the TUF repository as
 * our Updater reads it, range downloads, and a deployment whose assignment the device-side checks accept.
 */
class ReleaseFlowTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private TestServer srv;
    private final OfflineRepo repo = new OfflineRepo();
    private final byte[] image = randomBytes(300_000, 1);

    @BeforeEach
    void start() {
        srv = TestServer.start(BothDatabases.h2(), dir.resolve("data"), clock);
    }

    @AfterEach
    void stop() {
        srv.close();
    }

    private void trustInit() {
        Http.Response keys = srv.http.get("/api/v1/trust/online-keys", srv.adminToken);
        assertThat(keys.status()).isEqualTo(200);
        repo.buildRoot(keys.json(), clock.instant());
        assertThat(repo.uploadRoot(srv.http, srv.adminToken).status()).isEqualTo(200);
    }

    private String releaseManager() {
        return srv.token(srv.adminToken, "release-manager");
    }

    private Metadata<Targets> signed(Metadata<Targets> md) {
        return md.sign(repo.targetsKey);
    }

    @Test
    void onlineKeysAreCreatedOnceInAPrivateFile() throws Exception {
        Path keyDir = dir.resolve("data/keys");
        for (String role : List.of("snapshot", "timestamp", "director")) {
            Path f = keyDir.resolve(role + ".pem");
            assertThat(Files.getPosixFilePermissions(f)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        String before = srv.http.get("/api/v1/trust/online-keys", srv.adminToken).text();
        srv.close();
        srv = TestServer.start(BothDatabases.h2(), dir.resolve("data"), clock);
        assertThat(srv.http.get("/api/v1/trust/online-keys", srv.adminToken).text()).isEqualTo(before);
        try (Stream<Path> files = Files.list(keyDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("director.pem", "snapshot.pem", "timestamp.pem");
        }
    }

    @Test
    void rootUploadIsCheckedAndRefusalsChangeNothing() {
        Http.Response keys = srv.http.get("/api/v1/trust/online-keys", srv.adminToken);
        repo.buildRoot(keys.json(), clock.instant());
        // unsigned
        Http.Response r = srv.http.send("PUT", "/api/v1/trust/root", srv.adminToken,
                repo.root.withoutSignatures().toBytes(), Map.of());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("unsigned_metadata");
        // malformed
        r = srv.http.send("PUT", "/api/v1/trust/root", srv.adminToken, "{\"signed\": 1", Map.of());
        assertThat(r.code()).isEqualTo("malformed_metadata");
        assertThat(srv.http.get("/tuf/metadata/1.root.json", null).status()).isEqualTo(404);
        // release manager may not
        assertThat(repo.uploadRoot(srv.http, releaseManager()).status()).isEqualTo(403);
        assertThat(repo.uploadRoot(srv.http, srv.adminToken).status()).isEqualTo(200);
        assertThat(srv.http.get("/tuf/metadata/1.root.json", null).text().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(repo.root.toBytes());
        // the same version again
        assertThat(repo.uploadRoot(srv.http, srv.adminToken).code()).isEqualTo("bad_version");
    }

    @Test
    void publishedReleaseIsServedToTheTufClient() throws Exception {
        trustInit();
        String rm = releaseManager();
        Http.Response r = repo.publish(srv.http, rm, "fw-1.0.bin", image,
                signed(repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant())));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(r.json().path("sha256").asText()).hasSize(64);

        Updater updater = updater(dir.resolve("client"));
        updater.refresh();
        TargetInfo info = updater.getTargetInfo("fw-1.0.bin").orElseThrow();
        Path got = updater.downloadTarget(info, dir.resolve("client/fw-1.0.bin"));
        assertThat(Files.readAllBytes(got)).isEqualTo(image);
        assertThat(updater.trusted().snapshot().orElseThrow().signed().version()).isEqualTo(1);

        // a second release: targets 2, snapshot 2, timestamp 2
        byte[] image2 = randomBytes(1000, 2);
        r = repo.publish(srv.http, rm, "fw-1.1.bin", image2,
                signed(repo.addTarget("fw-1.1.bin", image2, "1.1.0", "board-a", clock.instant())));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        updater.refresh();
        assertThat(updater.trusted().targets("targets").orElseThrow().signed().version()).isEqualTo(2);
        assertThat(updater.getTargetInfo("fw-1.1.bin")).isPresent();
        assertThat(srv.http.get("/api/v1/releases", rm).json().path("items").size()).isEqualTo(2);
    }

    @Test
    void refusedReleasesChangeNothing() throws Exception {
        trustInit();
        String rm = releaseManager();
        assertThat(repo.publish(srv.http, rm, "fw-1.0.bin", image,
                signed(repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant()))).status()).isEqualTo(201);
        String timestamp = srv.http.get("/tuf/metadata/timestamp.json", null).text();
        int audit = srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size();
        byte[] next = randomBytes(5000, 3);

        // signed by a key that is not the targets key
        Http.Response r = repo.publish(srv.http, rm, "fw-2.bin", next,
                repo.addTarget("fw-2.bin", next, "2.0.0", "board-a", clock.instant()).sign(OfflineRepo.signer()));
        assertThat(r.code()).isEqualTo("unsigned_metadata");
        // the uploaded image differs from the signed entry
        byte[] other = next.clone();
        other[17] ^= 1;
        r = repo.publish(srv.http, rm, "fw-2.bin", other, signed(repo.addTarget("fw-2.bin", next, "2.0.0", "board-a",
                clock.instant())));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("image_mismatch");
        // oversize (the test server allows 1 MiB images)
        r = srv.http.send("POST", "/api/v1/releases/images", rm, randomBytes(2 * 1024 * 1024, 4), Map.of());
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.code()).isEqualTo("payload_too_large");
        // malformed JSON
        r = srv.http.post("/api/v1/releases", rm, "{\"uploadId\": \"x\", \"uploadId\": \"y\"}");
        assertThat(r.code()).isEqualTo("malformed_json");
        // metadata that is not targets
        Http.Response up = srv.http.send("POST", "/api/v1/releases/images", rm, next, Map.of());
        r = srv.http.post("/api/v1/releases", rm, Map.of("uploadId", up.json().path("uploadId").asText(),
                "path", "fw-2.bin", "targets", Map.of("signed", Map.of("_type", "targets"), "signatures", List.of())));
        assertThat(r.code()).isEqualTo("malformed_metadata");

        assertThat(srv.http.get("/tuf/metadata/timestamp.json", null).text()).isEqualTo(timestamp);
        assertThat(srv.http.get("/tuf/metadata/2.targets.json", null).status()).isEqualTo(404);
        assertThat(srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size()).isEqualTo(audit);
        assertThat(srv.http.get("/api/v1/releases", rm).json().path("items").size()).isEqualTo(1);
        try (Stream<Path> staged = Files.list(dir.resolve("data/staging"))) {
            assertThat(staged.toList()).isEmpty();
        }
        try (Stream<Path> artifacts = Files.list(dir.resolve("data/artifacts"))) {
            assertThat(artifacts.toList()).hasSize(1);
        }
    }

    @Test
    void timestampIsRefreshedBeforeItExpires() throws Exception {
        trustInit();
        repo.publish(srv.http, releaseManager(), "fw-1.0.bin", image,
                signed(repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant())));
        assertThat(srv.server.publisher().refreshIfDue()).isFalse();
        clock.advance(Duration.ofHours(13));
        assertThat(srv.server.publisher().refreshIfDue()).isTrue();
        assertThat(srv.server.publisher().refreshIfDue()).isFalse();
        Updater updater = updater(dir.resolve("client"));
        clock.advance(Duration.ofHours(13));
        srv.server.publisher().refreshIfDue();
        updater.refresh();
        assertThat(updater.trusted().timestamp().orElseThrow().signed().version()).isEqualTo(3);
        assertThat(updater.trusted().timestamp().orElseThrow().signed().expires()).isAfter(clock.instant());
    }

    @Test
    void rangeRequestsOnArtifacts() {
        trustInit();
        repo.publish(srv.http, releaseManager(), "fw-1.0.bin", image,
                signed(repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant())));
        String sha = repo.targets.signed().targets().get("fw-1.0.bin").sha256();
        String path = "/tuf/targets/" + sha + ".fw-1.0.bin";
        String viewer = srv.token(srv.adminToken, "viewer");
        Http.Response whole = srv.http.get(path, viewer);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.header("Content-Length")).hasValue(Integer.toString(image.length));
        assertThat(whole.header("ETag")).hasValue("\"" + sha + "\"");
        Http.Response part = srv.http.send("GET", path, viewer, null, Map.of("Range", "bytes=100-199"));
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.header("Content-Range")).hasValue("bytes 100-199/" + image.length);
        assertThat(part.header("Content-Length")).hasValue("100");
        assertThat(part.text().getBytes(StandardCharsets.ISO_8859_1).length).isGreaterThan(0);
        Http.Response resumed = rawGet(path, Map.of("Range", "bytes=299000-", "If-Range", "\"" + sha + "\"",
                "Authorization", "Bearer " + viewer));
        assertThat(resumed.status()).isEqualTo(206);
        Http.Response stale = srv.http.send("GET", path, viewer, null, Map.of("Range", "bytes=0-9", "If-Range", "\"other\""));
        assertThat(stale.status()).isEqualTo(200);
        Http.Response bad = srv.http.send("GET", path, viewer, null, Map.of("Range", "bytes=" + image.length + "-"));
        assertThat(bad.status()).isEqualTo(416);
        assertThat(bad.header("Content-Range")).hasValue("bytes */" + image.length);
        assertThat(srv.http.get("/tuf/targets/" + "0".repeat(64) + ".fw-1.0.bin", viewer).status()).isEqualTo(404);
    }

    private Http.Response rawGet(String path, Map<String, String> headers) {
        try {
            var b = java.net.http.HttpRequest.newBuilder(srv.server.uri().resolve(path));
            headers.forEach(b::header);
            var res = java.net.http.HttpClient.newHttpClient().send(b.build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(res.body()).isEqualTo(Arrays.copyOfRange(image, 299_000, image.length));
            return new Http.Response(res.statusCode(), com.fasterxml.jackson.databind.node.MissingNode.getInstance(),
                    "", null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs on H2 and PostgreSQL: the deployment and assignment SQL is the part that differs most. */
    @StoreTest
    void deploymentGivesAVerifiableAssignmentAndFollowsEvents(TestDatabase tdb) throws Exception {
        srv.close();
        srv = TestServer.start(tdb, dir.resolve("data-" + tdb.kind()), clock);
        trustInit();
        repo.publish(srv.http, releaseManager(), "fw-1.0.bin", image,
                signed(repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant())));
        TestDevice device = srv.device(KeyType.ED25519, "board-a");
        String op = srv.token(srv.adminToken, "operator");
        Http.Response dep = srv.http.post("/api/v1/deployments", op, Map.of("target", "fw-1.0.bin", "deviceId", device.id()));
        assertThat(dep.status()).as(dep.text()).isEqualTo(201);
        String depId = dep.json().path("id").asText();
        assertThat(dep.json().path("status").path("assigned").asInt()).isEqualTo(1);

        Http.Response checkIn = device.checkIn(srv.http, device.envelope(device.manifest(device.id(), "fw-0.9.bin")), null);
        assertThat(checkIn.status()).isEqualTo(200);
        var assignment = checkIn.json().path("assignment");
        assertThat(assignment.isObject()).isTrue();

        Updater updater = updater(dir.resolve("device"), device.token());
        updater.refresh();
        DeviceFacts facts = new DeviceFacts("board-a", "0.9.0", 0);
        AssignmentDecision d = AssignmentVerifier.verify(assignment, updater.trusted().root().signed(),
                new AssignmentVerifier.DeviceState(device.id(), 0, facts), clock.instant(), updater::getTargetInfo);
        assertThat(d).isInstanceOf(AssignmentDecision.Accept.class);
        AssignmentDecision.Accept accept = (AssignmentDecision.Accept) d;
        assertThat(accept.assignment().deploymentId()).isEqualTo(depId);
        // replaying it after acceptance is refused
        AssignmentDecision replay = AssignmentVerifier.verify(assignment, updater.trusted().root().signed(),
                new AssignmentVerifier.DeviceState(device.id(), accept.assignment().counter(), facts), clock.instant(),
                updater::getTargetInfo);
        assertThat(((AssignmentDecision.Refuse) replay).reason()).isEqualTo(AssignmentDecision.Reason.REPLAYED);
        // another device's identity is refused
        AssignmentDecision other = AssignmentVerifier.verify(assignment, updater.trusted().root().signed(),
                new AssignmentVerifier.DeviceState("dev_other", 0, facts), clock.instant(), updater::getTargetInfo);
        assertThat(((AssignmentDecision.Refuse) other).reason()).isEqualTo(AssignmentDecision.Reason.WRONG_DEVICE);

        // resumed download over HTTP range, then events
        Path file = updater.downloadTarget(accept.target(), dir.resolve("device/fw.bin"));
        assertThat(Files.size(file)).isEqualTo(image.length);
        Http.Response events = srv.http.post("/api/v1/device/" + device.id() + "/events", device.token(), Map.of("events",
                List.of(Map.of("eventId", "e1", "type", "installed", "details", Map.of("deploymentId", depId)))));
        assertThat(events.status()).isEqualTo(200);
        assertThat(srv.http.get("/api/v1/deployments/" + depId, op).json().path("status").path("installed").asInt())
                .isEqualTo(1);
        srv.http.post("/api/v1/device/" + device.id() + "/events", device.token(), Map.of("events",
                List.of(Map.of("eventId", "e2", "type", "committed"))));
        assertThat(srv.http.get("/api/v1/deployments/" + depId, op).json().path("status").path("committed").asInt())
                .isEqualTo(1);
        // an old "installed" resent later does not move it back; the device gets no assignment any more
        srv.http.post("/api/v1/device/" + device.id() + "/events", device.token(), Map.of("events",
                List.of(Map.of("eventId", "e3", "type", "installed"))));
        assertThat(srv.http.get("/api/v1/deployments/" + depId, op).json().path("status").path("committed").asInt())
                .isEqualTo(1);
        Http.Response after = device.checkIn(srv.http, device.envelope(device.manifest(device.id(), "fw-1.0.bin")), null);
        assertThat(after.json().path("assignment").isNull()).isTrue();
        // the audit log shows root, release and deployment
        List<String> actions = srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items")
                .findValuesAsText("action");
        assertThat(actions).contains("trust.root", "release.publish", "deployment.create");
        // metrics count the check-ins
        String metrics = srv.http.get("/metrics", null).text();
        assertThat(metrics).contains("flotilla_checkins_total{result=\"answer\"} 2.0");
        assertThat(metrics).contains("flotilla_checkin_latency_seconds_count");
    }

    @Test
    void groupDeploymentAssignsEachActiveDeviceWithIncreasingCounters() {
        trustInit();
        repo.publish(srv.http, releaseManager(), "fw-1.0.bin", image,
                signed(repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant())));
        TestDevice a = srv.device(KeyType.ED25519, "board-a");
        TestDevice b = srv.device(KeyType.ECDSA_P256, "board-a");
        for (TestDevice d : List.of(a, b)) {
            srv.http.send("PUT", "/api/v1/devices/" + d.id() + "/group", srv.adminToken, Map.of("group", "lab"), Map.of());
        }
        var envA = a.envelope(a.manifest(a.id(), "x"));
        String idleTag = a.checkIn(srv.http, envA, null).header("ETag").orElseThrow();
        assertThat(a.checkIn(srv.http, envA, idleTag).status()).isEqualTo(304);
        Http.Response first = srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-1.0.bin", "group", "lab"));
        assertThat(first.json().path("status").path("assigned").asInt()).isEqualTo(2);
        // the new assignment ends the 304s; the next ETag is idle again
        Http.Response changed = a.checkIn(srv.http, envA, idleTag);
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().path("assignment").isObject()).isTrue();
        assertThat(a.checkIn(srv.http, envA, changed.header("ETag").orElseThrow()).status()).isEqualTo(304);
        // close to expiry the assignment is re-signed with a new counter, and the device hears of it
        clock.advance(Duration.ofDays(6).plusHours(1));
        assertThat(a.login(srv.http).status()).isEqualTo(200);
        Http.Response resigned = a.checkIn(srv.http, envA, changed.header("ETag").orElseThrow());
        assertThat(resigned.status()).isEqualTo(200);
        assertThat(resigned.json().path("assignment").path("signed").path("counter").asLong())
                .isGreaterThan(changed.json().path("assignment").path("signed").path("counter").asLong());
        long c1 = a.checkIn(srv.http, a.envelope(a.manifest(a.id(), "x")), null).json().path("assignment").path("signed")
                .path("counter").asLong();
        srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-1.0.bin", "deviceId", a.id()));
        long c2 = a.checkIn(srv.http, a.envelope(a.manifest(a.id(), "x")), null).json().path("assignment").path("signed")
                .path("counter").asLong();
        assertThat(c2).isGreaterThan(c1);
        Http.Response unknown = srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "nope.bin", "group", "lab"));
        assertThat(unknown.code()).isEqualTo("unknown_target");
    }

    /** A TUF client downloading images as an operator (any role may). */
    Updater updater(Path home) throws Exception {
        return updater(home, srv.adminToken);
    }

    /** A TUF client downloading images with {@code token} (a device's or an operator's). */
    Updater updater(Path home, String token) throws Exception {
        Path meta = home.resolve("metadata");
        Files.createDirectories(meta);
        Updater.initialize(meta, repo.root.toBytes());
        URI base = srv.server.uri();
        return new Updater(UpdaterConfig.of(meta, base.resolve("/tuf/metadata/"), home.resolve("targets"),
                base.resolve("/tuf/targets/")), uri -> uri.getPath().startsWith("/tuf/targets/")
                ? new BearerFetcher(token).open(uri) : new HttpFetcher().open(uri), clock);
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
