package dev.flotilla.server.releases;

import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A release request's upload id names a staging file only when it has the form the server gives out. */
class UploadIdTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private TestServer srv;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    @StoreTest
    void anUploadIdThatLeavesStagingIsRefusedAndDeletesNothing(TestDatabase db) throws Exception {
        Path data = dir.resolve("data");
        srv = TestServer.start(db, data, clock);
        String releaseManager = srv.token(srv.adminToken, "release-manager");
        Path key = data.resolve("keys/director.pem");
        Path outside = dir.resolve("outside.txt");
        Files.writeString(outside, "precious");
        assertThat(key).exists();
        for (String id : List.of("../keys/director.pem", "../../outside.txt", outside.toString(), "upl_../../x",
                "upl_" + "a".repeat(17), "")) {
            for (Object targets : List.of(Map.of("signed", Map.of()), "not an object")) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("uploadId", id);
                body.put("path", "fw-1.bin");
                body.put("targets", targets);
                Http.Response r = srv.http.post("/api/v1/releases", releaseManager, body);
                assertThat(r.status()).as(id + ": " + r.text()).isEqualTo(400);
                assertThat(r.code()).isEqualTo("invalid_request");
            }
        }
        assertThat(key).exists();
        assertThat(outside).hasContent("precious");
        assertThat(OfflineRepo.publishedVersion(srv.http, "targets")).isZero();
    }
}
