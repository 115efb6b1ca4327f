package dev.flotilla.server.releases;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/releases/{targetPath}} over real HTTP on H2 and PostgreSQL: a release's fields, what the
 * current targets metadata signs for it, the newest rollouts of it (at most {@link ReleaseRoutes#ROLLOUTS_SHOWN}),
 * and 404 for a name no release has.
 */
class ReleaseDetailTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final byte[] one = "firmware one".getBytes();
    private final byte[] two = "firmware two".getBytes();
    private TestServer srv;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    /** A server with a root and two releases: fw-1.bin (security version 3) and fw-2.bin. */
    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data"), clock);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        repo.release(srv.http, srv.adminToken, "fw-1.bin", one, "1.0.0", "board-a", 3, clock.instant());
        repo.release(srv.http, srv.adminToken, "fw-2.bin", two, "2.0.0", "board-b", 0, clock.instant());
    }

    private String deploy(String target, String group) {
        Http.Response r = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", target, "group", group, "allowEmpty", true));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    @StoreTest
    void aReleaseWithItsSignedFieldsAndTheNewestRolloutsOfIt(TestDatabase db) {
        start(db);
        String first = deploy("fw-1.bin", "lab");
        String second = deploy("fw-1.bin", "berlin");
        assertThat(srv.http.post("/api/v1/deployments/" + first + "/cancel", srv.adminToken, Map.of()).status())
                .isEqualTo(200);
        deploy("fw-2.bin", "lab");

        Http.Response r = srv.http.get("/api/v1/releases/fw-1.bin", srv.token(srv.adminToken, "viewer"));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode d = r.json();
        assertThat(d.path("targetPath").asText()).isEqualTo("fw-1.bin");
        assertThat(d.path("version").asText()).isEqualTo("1.0.0");
        assertThat(d.path("length").asLong()).isEqualTo(one.length);
        assertThat(d.path("sha256").asText()).isEqualTo(Digests.sha256Hex(one));
        assertThat(d.path("sha512").asText()).hasSize(128);
        assertThat(d.path("targetsVersion").asLong()).isEqualTo(1);
        assertThat(java.time.Instant.parse(d.path("createdAt").asText()))
                .isEqualTo(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(texts(d.path("hardwareIds"))).containsExactly("board-a");
        assertThat(d.path("securityVersion").asLong()).isEqualTo(3);
        assertThat(texts(d.path("signedBy"))).containsExactly(repo.targetsKey.keyId());
        assertThat(d.path("rollouts").findValuesAsText("id")).containsExactly(second, first);
        assertThat(d.path("rollouts").findValuesAsText("state")).containsExactly("active", "cancelled");
        assertThat(d.path("rollouts").get(0).path("kind").asText()).isEqualTo("deployment");
        assertThat(d.has("release")).as("the release's fields are at the top level").isFalse();

        JsonNode other = srv.http.get("/api/v1/releases/fw-2.bin", srv.adminToken).json();
        assertThat(texts(other.path("hardwareIds"))).containsExactly("board-b");
        assertThat(other.path("securityVersion").asLong()).isZero();
        assertThat(other.path("rollouts")).hasSize(1);
    }

    @StoreTest
    void onlyTheNewestRolloutsAreListed(TestDatabase db) {
        start(db);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i <= ReleaseRoutes.ROLLOUTS_SHOWN; i++) {
            ids.add(0, deploy("fw-2.bin", "group-" + i));
        }
        JsonNode rollouts = srv.http.get("/api/v1/releases/fw-2.bin", srv.adminToken).json().path("rollouts");
        assertThat(rollouts.findValuesAsText("id")).containsExactlyElementsOf(ids.subList(0, ReleaseRoutes.ROLLOUTS_SHOWN));
    }

    @StoreTest
    void anUnknownNameIsNotFound(TestDatabase db) {
        start(db);
        Http.Response r = srv.http.get("/api/v1/releases/nope.bin", srv.adminToken);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.code()).isEqualTo("not_found");
        assertThat(r.json().path("message").asText()).isEqualTo("release 'nope.bin' not found");
        assertThat(srv.http.get("/api/v1/releases/fw-1.bin", null).status()).isEqualTo(401);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
