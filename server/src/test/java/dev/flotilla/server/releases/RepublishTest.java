package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
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
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A published target never changes: publishing its path again, or changing its entry, is 409 and changes nothing. */
class RepublishTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final byte[] image = ReleaseFlowTest.randomBytes(20_000, 1);
    private TestServer srv;
    private String rm;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    /** A server with fw-1.0.bin (1.0.0, board-a) published and deployed to a device. */
    private void publishAndDeploy(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data"), clock);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        rm = srv.token(srv.adminToken, "release-manager");
        Http.Response first = repo.publish(srv.http, rm, "fw-1.0.bin", image,
                repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey));
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        TestDevice device = srv.device(KeyType.ED25519, "board-a");
        Http.Response dep = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.0.bin", "deviceId", device.id()));
        assertThat(dep.status()).as(dep.text()).isEqualTo(201);
    }

    /** What a refused publish must leave as it was. */
    private record State(String timestamp, String releases, int audit, List<Path> staged, List<Path> artifacts) {
    }

    private State state() throws Exception {
        try (Stream<Path> staged = Files.list(dir.resolve("data/staging"));
             Stream<Path> artifacts = Files.list(dir.resolve("data/artifacts"))) {
            return new State(srv.http.get("/tuf/metadata/timestamp.json", null).text(),
                    srv.http.get("/api/v1/releases", rm).text(),
                    srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size(),
                    staged.sorted().toList(), artifacts.sorted().toList());
        }
    }

    @StoreTest
    void theSameBytesUnderADeployedNameAre409TargetExistsAndChangeNothing(TestDatabase db) throws Exception {
        publishAndDeploy(db);
        State before = state();
        Http.Response again = repo.publish(srv.http, rm, "fw-1.0.bin", image,
                repo.addTarget("fw-1.0.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey));
        assertThat(again.status()).as(again.text()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("target_exists");
        assertThat(again.json().path("message").asText())
                .contains("'fw-1.0.bin' is already published with these bytes (version 1.0.0, targets version 1)");
        assertThat(state()).isEqualTo(before);
    }

    @StoreTest
    void theSameBytesUnderAnExistingNameWithAnotherVersionAre409AndKeepTheVersion(TestDatabase db) throws Exception {
        publishAndDeploy(db);
        State before = state();
        Http.Response again = repo.publish(srv.http, rm, "fw-1.0.bin", image,
                repo.addTarget("fw-1.0.bin", image, "2.0.0", "board-a", clock.instant()).sign(repo.targetsKey));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("target_exists");
        assertThat(state()).isEqualTo(before);
        assertThat(srv.http.get("/api/v1/releases", rm).json().path("items").get(0).path("version").asText())
                .isEqualTo("1.0.0");
    }

    @StoreTest
    void aNewReleaseWhoseMetadataChangesAPublishedEntryIs409(TestDatabase db) throws Exception {
        publishAndDeploy(db);
        State before = state();
        byte[] next = ReleaseFlowTest.randomBytes(5_000, 2);
        Map<String, TargetFile> files = new LinkedHashMap<>();
        files.put("fw-1.0.bin", TargetFile.of(image, new FirmwareInfo(List.of("board-a"), "1.0.1", 0).toCustom()));
        files.put("fw-2.0.bin", TargetFile.of(next, new FirmwareInfo(List.of("board-a"), "2.0.0", 0).toCustom()));
        Metadata<Targets> md = Metadata.of(new Targets(Signed.SPEC_VERSION, 2,
                clock.instant().plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS), files, null, Map.of()))
                .sign(repo.targetsKey);
        Http.Response r = repo.publish(srv.http, rm, "fw-2.0.bin", next, md);
        assertThat(r.status()).as(r.text()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("target_exists");
        assertThat(r.json().path("message").asText()).contains("'fw-1.0.bin'");
        assertThat(state()).isEqualTo(before);

        Http.Response ok = repo.publish(srv.http, rm, "fw-2.0.bin", next,
                repo.addTarget("fw-2.0.bin", next, "2.0.0", "board-a", clock.instant()).sign(repo.targetsKey));
        assertThat(ok.status()).as(ok.text()).isEqualTo(201);
    }

    @StoreTest
    void aNewReleaseWhoseMetadataDropsAPublishedTargetIsRefusedAndChangesNothing(TestDatabase db) throws Exception {
        publishAndDeploy(db);
        State before = state();
        byte[] next = ReleaseFlowTest.randomBytes(5_000, 3);
        Map<String, TargetFile> files = new LinkedHashMap<>();
        files.put("fw-2.0.bin", TargetFile.of(next, new FirmwareInfo(List.of("board-a"), "2.0.0", 0).toCustom()));
        Metadata<Targets> md = Metadata.of(new Targets(Signed.SPEC_VERSION, 2,
                clock.instant().plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS), files, null, Map.of()))
                .sign(repo.targetsKey);
        Http.Response r = repo.publish(srv.http, rm, "fw-2.0.bin", next, md);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("targets_changed");
        assertThat(r.json().path("message").asText()).contains("drops the published target 'fw-1.0.bin'");
        assertThat(state()).isEqualTo(before);
    }
}
