package dev.flotilla.server.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code PUT /api/v1/trust/targets} (targets re-signed without a new image) and the trust part of
 * {@code /healthz}, over real HTTP, on H2 and PostgreSQL.
 */
class TargetsRefreshTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private TestServer srv;
    private String releaseManager;

    private void start(TestDatabase db) {
        srv = TestServer.start(db, dir.resolve("data"), clock);
        repo.trust(srv.http, srv.adminToken, clock.instant());
        releaseManager = srv.token(srv.adminToken, "release-manager");
    }

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    private void publishOne() {
        byte[] image = new byte[1000];
        Http.Response r = repo.publish(srv.http, releaseManager, "fw-1.bin", image,
                repo.addTarget("fw-1.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    /** The current targets at another version and expiry, content unchanged. */
    private Metadata<Targets> resigned(long version, Instant expires) {
        Targets t = repo.targets.signed();
        return Metadata.of(new Targets(Signed.SPEC_VERSION, version, expires.truncatedTo(ChronoUnit.SECONDS),
                t.targets(), t.delegations(), t.unrecognized())).sign(repo.targetsKey);
    }

    private Http.Response put(String token, byte[] body) {
        return srv.http.send("PUT", "/api/v1/trust/targets", token, body, Map.of());
    }

    private Updater device() throws Exception {
        Path meta = Files.createDirectories(dir.resolve("device/metadata"));
        if (!Files.exists(meta.resolve("root.json"))) {
            Updater.initialize(meta, repo.root.toBytes());
        }
        return new Updater(UpdaterConfig.of(meta, srv.server.uri().resolve("/tuf/metadata/"), dir.resolve("device/t"),
                srv.server.uri().resolve("/tuf/targets/")), new HttpFetcher(), clock);
    }

    @StoreTest
    void aRefreshExtendsTheTargetsExpiryAndDevicesFollowIt(TestDatabase db) throws Exception {
        start(db);
        publishOne();
        JsonNode health = srv.http.get("/healthz", null).json();
        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("trust").path("targetsVersion").asLong()).isEqualTo(1);
        assertThat(health.path("trust").path("rootVersion").asLong()).isEqualTo(1);

        // two days on, without the server's refresher (it reads the server's clock): the timestamp has expired
        MutableClock later = new MutableClock();
        later.advance(Duration.ofDays(2));
        assertThat(new TrustHealth(srv.server.jdbi(), new TufStore(), later).report().get("warnings").toString())
                .contains("timestamp version 1 expired at", "the server re-signs it").doesNotContain("targets");

        clock.advance(Duration.ofDays(91));
        srv.server.publisher().refreshIfDue();
        health = srv.http.get("/healthz", null).json();
        assertThat(health.path("status").asText()).isEqualTo("warn");
        assertThat(health.path("trust").path("warnings").toString()).contains("targets version 1 expired at");
        assertThatThrownBy(() -> device().refresh()).isInstanceOf(RepositoryError.class).hasMessageContaining("expired");

        Http.Response r = put(releaseManager, resigned(2, clock.instant().plus(Duration.ofDays(90))).toBytes());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().path("version").asLong()).isEqualTo(2);
        assertThat(r.json().path("targets").asInt()).isEqualTo(1);
        health = srv.http.get("/healthz", null).json();
        assertThat(health.path("status").asText()).as(health.toString()).isEqualTo("ok");
        assertThat(health.path("trust").path("targetsVersion").asLong()).isEqualTo(2);
        Updater u = device();
        u.refresh();
        assertThat(u.trusted().targets("targets").orElseThrow().signed().version()).isEqualTo(2);
        assertThat(u.getTargetInfo("fw-1.bin")).isPresent();
        assertThat(srv.http.get("/api/v1/audit?limit=100", srv.adminToken).text()).contains("release.refresh");
    }

    @StoreTest
    void refusedRefreshesChangeNothing(TestDatabase db) {
        start(db);
        Instant later = clock.instant().plus(Duration.ofDays(90));
        Http.Response early = put(releaseManager, repo.addTarget("fw-1.bin", new byte[1], "1.0.0", "board-a", later)
                .sign(repo.targetsKey).toBytes());
        assertThat(early.status()).isEqualTo(409);
        assertThat(early.code()).isEqualTo("no_targets");
        publishOne();
        long timestamp = srv.http.get("/tuf/metadata/timestamp.json", null).json().path("signed").path("version").asLong();

        assertRefused(put(releaseManager, "{\"signed\":1}".getBytes()), 400, "malformed_metadata");
        Metadata<Targets> other = resigned(2, later).withoutSignatures().sign(OfflineRepo.signer());
        assertRefused(put(releaseManager, other.toBytes()), 400, "unsigned_metadata");
        assertRefused(put(releaseManager, resigned(1, later).toBytes()), 409, "bad_version");
        assertRefused(put(releaseManager, resigned(3, later).toBytes()), 409, "bad_version");
        assertRefused(put(releaseManager, resigned(2, clock.instant().minusSeconds(5)).toBytes()), 400, "expired_metadata");
        Map<String, dev.flotilla.core.tuf.TargetFile> none = new LinkedHashMap<>();
        Metadata<Targets> emptied = Metadata.of(new Targets(Signed.SPEC_VERSION, 2, later.truncatedTo(ChronoUnit.SECONDS),
                none, null, Map.of())).sign(repo.targetsKey);
        assertRefused(put(releaseManager, emptied.toBytes()), 400, "targets_changed");
        String viewer = srv.token(srv.adminToken, "viewer");
        assertThat(put(viewer, resigned(2, later).toBytes()).status()).isEqualTo(403);

        assertThat(OfflineRepo.publishedVersion(srv.http, "targets")).isEqualTo(1);
        assertThat(srv.http.get("/tuf/metadata/timestamp.json", null).json().path("signed").path("version").asLong())
                .isEqualTo(timestamp);
        assertThat(put(releaseManager, resigned(2, later).toBytes()).status()).isEqualTo(200);
    }

    @StoreTest
    void healthWarnsAMonthBeforeTheRootExpires(TestDatabase db) {
        start(db);
        JsonNode health = srv.http.get("/healthz", null).json();
        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("trust").path("warnings").size()).isZero();
        assertThat(health.path("trust").has("targetsExpires")).isFalse();
        clock.advance(Duration.ofDays(340));
        health = srv.http.get("/healthz", null).json();
        assertThat(health.path("status").asText()).isEqualTo("warn");
        assertThat(health.path("trust").path("warnings")).hasSize(1);
        assertThat(health.path("trust").path("warnings").get(0).asText())
                .startsWith("root version 1 expires " + repo.root.signed().expires()).contains("flotilla trust rotate");
        assertThat(health.path("trust").path("rootExpires").asText()).isEqualTo(repo.root.signed().expires().toString());
    }

    private static void assertRefused(Http.Response r, int status, String code) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.code()).isEqualTo(code);
    }
}
