package dev.flotilla.server.releases;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deleting a release over real HTTP on H2 and PostgreSQL: refused while anything needs it, otherwise its
 * targets entry (offline-signed next version), row and file go, and deployments that used it stay.
 */
class ReleaseDeletionTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final byte[] one = "firmware one".getBytes();
    private final byte[] two = "firmware two".getBytes();
    private TestServer srv;
    private final Map<String, String> keys = new java.util.HashMap<>();

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    /** A server with a root and two releases, fw-1.bin and fw-2.bin (targets versions 1 and 2). */
    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data"), clock);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        publish("fw-1.bin", one);
        publish("fw-2.bin", two);
    }

    private void publish(String path, byte[] image) {
        repo.release(srv.http, srv.adminToken, path, image, "1.0.0", "board-a", 0, clock.instant());
        keys.put(path, srv.server.jdbi().withHandle(h -> ReleaseService.artifactKey(h, path)).orElseThrow());
        assertThat(artifact(path)).hasBinaryContent(image);
    }

    private Metadata<Targets> without(String path) {
        return repo.withoutTarget(path, clock.instant()).sign(repo.targetsKey);
    }

    /** The image file of release {@code path}, as published (its key stays known after a deletion). */
    private Path artifact(String path) {
        return dir.resolve("data").resolve(keys.get(path));
    }

    private List<String> releases() {
        return srv.http.get("/api/v1/releases", srv.adminToken).json().path("items").findValuesAsText("targetPath");
    }

    private Http.Response deploy(Map<String, Object> body) {
        Http.Response r = srv.http.post("/api/v1/deployments", srv.adminToken, body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r;
    }

    @StoreTest
    void aReleaseNoDeviceNeedsGoesWithItsTargetsEntryAndFile(TestDatabase db) throws Exception {
        start(db);
        String depId = deploy(Map.of("target", "fw-1.bin", "group", "lab", "allowEmpty", true)).json().path("id").asText();
        assertThat(srv.http.post("/api/v1/deployments/" + depId + "/cancel", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        assertThat(repo.delete(srv.http, srv.token(srv.adminToken, "operator"), "fw-1.bin", without("fw-1.bin"))
                .status()).as("release managers delete").isEqualTo(403);

        Http.Response r = repo.delete(srv.http, srv.token(srv.adminToken, "release-manager"), "fw-1.bin",
                without("fw-1.bin"));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().path("targetPath").asText()).isEqualTo("fw-1.bin");
        assertThat(OfflineRepo.publishedVersion(srv.http, "targets")).isEqualTo(3);
        JsonNode targets = srv.http.get("/tuf/metadata/3.targets.json", null).json().path("signed").path("targets");
        assertThat(targets.has("fw-1.bin")).isFalse();
        assertThat(targets.has("fw-2.bin")).isTrue();
        assertThat(releases()).containsExactly("fw-2.bin");
        assertThat(Files.exists(artifact("fw-1.bin"))).isFalse();
        assertThat(srv.http.get("/tuf/targets/" + Digests.sha256Hex(one) + ".fw-1.bin", srv.adminToken).status()).isEqualTo(404);
        assertThat(srv.http.get("/tuf/targets/" + Digests.sha256Hex(two) + ".fw-2.bin", srv.adminToken).status()).isEqualTo(200);

        JsonNode audit = srv.http.get("/api/v1/audit?order=desc&limit=1", srv.adminToken).json().path("items").get(0);
        assertThat(audit.path("action").asText()).isEqualTo("release.delete");
        assertThat(audit.path("before").path("sha256").asText()).isEqualTo(Digests.sha256Hex(one));
        assertThat(srv.http.get("/api/v1/deployments/" + depId, srv.adminToken).json().path("targetPath").asText())
                .as("the deployment stays as history").isEqualTo("fw-1.bin");
        Http.Response again = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.bin", "group", "lab"));
        assertThat(again.code()).isEqualTo("unknown_target");
        assertThat(repo.delete(srv.http, srv.adminToken, "fw-1.bin", without("fw-1.bin")).status()).isEqualTo(404);
    }

    @StoreTest
    void aReleaseInUseIsRefusedWithTheCountsAndNothingChanges(TestDatabase db) {
        start(db);
        TestDevice running = srv.device(KeyType.ED25519, "board-a");
        assertThat(running.checkIn(srv.http, running.envelope(running.manifest(running.id(), "fw-1.bin")), null)
                .status()).isEqualTo(200);
        TestDevice member = srv.device(KeyType.ED25519, "board-a");
        assertThat(srv.http.send("PUT", "/api/v1/devices/" + member.id() + "/group", srv.adminToken,
                Map.of("group", "lab"), Map.of()).status()).isEqualTo(200);
        String depId = deploy(Map.of("target", "fw-1.bin", "group", "lab")).json().path("id").asText();

        Http.Response refused = repo.delete(srv.http, srv.adminToken, "fw-1.bin", without("fw-1.bin"));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("release_in_use");
        assertThat(refused.json().path("message").asText())
                .contains("1 device runs it", "1 live assignment", "1 active deployment");
        assertThat(OfflineRepo.publishedVersion(srv.http, "targets")).isEqualTo(2);
        assertThat(releases()).containsExactly("fw-1.bin", "fw-2.bin");
        assertThat(Files.exists(artifact("fw-1.bin"))).isTrue();

        // each need ends: the deployment is cancelled, the member fails its install, the other device moves on
        assertThat(srv.http.post("/api/v1/deployments/" + depId + "/cancel", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        assertThat(srv.http.post("/api/v1/device/" + member.id() + "/events", member.token(), Map.of("events",
                List.of(Map.of("eventId", "ev-1", "type", "failed")))).status()).isEqualTo(200);
        assertThat(repo.delete(srv.http, srv.adminToken, "fw-1.bin", without("fw-1.bin")).json().path("message")
                .asText()).endsWith("1 device runs it; move the devices to another release and cancel its deployments first");
        assertThat(running.checkIn(srv.http, running.envelope(running.manifest(running.id(), "fw-2.bin")), null)
                .status()).isEqualTo(200);
        assertThat(repo.delete(srv.http, srv.adminToken, "fw-1.bin", without("fw-1.bin")).status()).isEqualTo(200);
    }

    @StoreTest
    void theTargetsMustBeTheCurrentOnesWithoutExactlyThatRelease(TestDatabase db) {
        start(db);
        Metadata<Targets> unsigned = repo.withoutTarget("fw-1.bin", clock.instant());
        Metadata<Targets> dropsBoth = repo.withoutTarget("fw-1.bin", clock.instant());
        dropsBoth = Metadata.of(new Targets(dropsBoth.signed().specVersion(), 3, dropsBoth.signed().expires(), Map.of(),
                null, Map.of())).sign(repo.targetsKey);
        Metadata<Targets> keepsIt = Metadata.of(new Targets(unsigned.signed().specVersion(), 3,
                unsigned.signed().expires(), repo.targets.signed().targets(), null, Map.of())).sign(repo.targetsKey);
        Metadata<Targets> oldVersion = Metadata.of(new Targets(unsigned.signed().specVersion(), 2,
                unsigned.signed().expires(), unsigned.signed().targets(), null, Map.of())).sign(repo.targetsKey);
        record Case(Metadata<Targets> md, int status, String code) {
        }
        for (Case c : List.of(new Case(unsigned, 400, "unsigned_metadata"), new Case(dropsBoth, 400, "targets_changed"),
                new Case(keepsIt, 400, "targets_changed"), new Case(oldVersion, 409, "bad_version"))) {
            Http.Response r = repo.delete(srv.http, srv.adminToken, "fw-1.bin", c.md());
            assertThat(r.status()).as(r.text()).isEqualTo(c.status());
            assertThat(r.code()).isEqualTo(c.code());
        }
        for (Object body : List.of("", "{}", Map.of("targets", "x"))) {
            Http.Response r = srv.http.send("DELETE", "/api/v1/releases/fw-1.bin", srv.adminToken, body, Map.of());
            assertThat(r.status()).as(r.text()).isEqualTo(400);
            assertThat(r.json().path("message").asText()).contains("flotilla release delete");
        }
        assertThat(OfflineRepo.publishedVersion(srv.http, "targets")).isEqualTo(2);
        assertThat(releases()).containsExactly("fw-1.bin", "fw-2.bin");
        assertThat(Files.exists(artifact("fw-1.bin"))).isTrue();
    }

    @StoreTest
    void aFileIsKeptWhileAnotherReleaseHasTheSameKeyAndAFailedRemovalKeepsTheDeletion(TestDatabase db)
            throws Exception {
        start(db);
        publish("fw-1-copy.bin", one);
        assertThat(artifact("fw-1-copy.bin")).isNotEqualTo(artifact("fw-1.bin")); // each upload its own object
        assertThat(repo.delete(srv.http, srv.adminToken, "fw-1-copy.bin", without("fw-1-copy.bin")).status())
                .isEqualTo(200);
        assertThat(Files.exists(artifact("fw-1-copy.bin"))).isFalse();
        assertThat(Files.exists(artifact("fw-1.bin"))).isTrue();

        // releases published before artifact keys share one file per sha256: it stays while one needs it
        publish("fw-1-old.bin", one);
        Files.delete(artifact("fw-1-old.bin"));
        srv.server.jdbi().useHandle(h -> h.createUpdate("UPDATE releases SET artifact_key = :k WHERE target_path = :p")
                .bind("k", keys.get("fw-1.bin")).bind("p", "fw-1-old.bin").execute());
        assertThat(repo.delete(srv.http, srv.adminToken, "fw-1-old.bin", without("fw-1-old.bin")).status())
                .isEqualTo(200);
        assertThat(Files.exists(artifact("fw-1.bin"))).isTrue();
        assertThat(srv.http.get("/tuf/targets/" + Digests.sha256Hex(one) + ".fw-1.bin", srv.adminToken).status()).isEqualTo(200);

        // the file cannot be removed (a non-empty directory in its place): the deletion stands, the file stays
        Files.delete(artifact("fw-2.bin"));
        Files.createDirectories(artifact("fw-2.bin").resolve("busy"));
        assertThat(repo.delete(srv.http, srv.adminToken, "fw-2.bin", without("fw-2.bin")).status()).isEqualTo(200);
        assertThat(releases()).containsExactly("fw-1.bin");
        assertThat(Files.exists(artifact("fw-2.bin"))).isTrue();
    }
}
