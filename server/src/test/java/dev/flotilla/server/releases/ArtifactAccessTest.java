package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Released images are served to operators and to the devices assigned them, not to anyone; a server started
 * with public artifacts (for mirrors and CDNs) serves them to anyone.
 */
class ArtifactAccessTest {
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

    private void start(TestDatabase db, boolean publicArtifacts) {
        srv = TestServer.start(db, dir.resolve("data"), clock, c -> c.withPublicArtifacts(publicArtifacts));
        repo.trust(srv.http, srv.adminToken, clock.instant());
        repo.release(srv.http, srv.adminToken, "fw-1.bin", one, "1.0.0", "board-a", 0, clock.instant());
        repo.release(srv.http, srv.adminToken, "fw-2.bin", two, "1.0.0", "board-a", 0, clock.instant());
    }

    private static String url(String path, byte[] image) {
        return "/tuf/targets/" + Digests.sha256Hex(image) + "." + path;
    }

    private int get(String path, byte[] image, String token) {
        return srv.http.get(url(path, image), token).status();
    }

    private int head(String path, byte[] image, String token) {
        return srv.http.send("HEAD", url(path, image), token, null, Map.of()).status();
    }

    @StoreTest
    void aDeviceDownloadsOnlyItsAssignedImageAndOperatorsAnyAndOthersNone(TestDatabase db) {
        start(db, false);
        TestDevice assigned = srv.device(KeyType.ED25519, "board-a");
        TestDevice other = srv.device(KeyType.ED25519, "board-a");
        Http.Response dep = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.bin", "deviceId", assigned.id()));
        assertThat(dep.status()).as(dep.text()).isEqualTo(201);

        assertThat(get("fw-1.bin", one, null)).as("no token").isEqualTo(401);
        assertThat(head("fw-1.bin", one, null)).isEqualTo(401);
        assertThat(get("fw-1.bin", one, "fld_not-a-token")).isEqualTo(401);
        assertThat(get("fw-1.bin", one, "flt_not-a-token")).isEqualTo(401);

        Http.Response mine = srv.http.get(url("fw-1.bin", one), assigned.token());
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.text()).isEqualTo("firmware one");
        assertThat(srv.http.send("GET", url("fw-1.bin", one), assigned.token(), null, Map.of("Range", "bytes=9-"))
                .text()).as("ranges, for the agent's resumed download").isEqualTo("one");
        assertThat(head("fw-1.bin", one, assigned.token())).isEqualTo(200);
        assertThat(get("fw-2.bin", two, assigned.token())).as("not its assignment").isEqualTo(403);
        assertThat(get("fw-1.bin", one, other.token())).as("another device's assignment").isEqualTo(403);

        String viewer = srv.token(srv.adminToken, "viewer");
        assertThat(get("fw-1.bin", one, viewer)).isEqualTo(200);
        assertThat(get("fw-2.bin", two, viewer)).isEqualTo(200);
        assertThat(get("fw-3.bin", two, viewer)).isEqualTo(404);
        assertThat(srv.http.get("/tuf/metadata/timestamp.json", null).status()).as("metadata stays open")
                .isEqualTo(200);
    }

    @StoreTest
    void publicArtifactsAreServedToAnyone(TestDatabase db) {
        start(db, true);
        assertThat(get("fw-1.bin", one, null)).isEqualTo(200);
        assertThat(get("fw-2.bin", two, null)).isEqualTo(200);
        assertThat(head("fw-2.bin", two, null)).isEqualTo(200);
    }
}
