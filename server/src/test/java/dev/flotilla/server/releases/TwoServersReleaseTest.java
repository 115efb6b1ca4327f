package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two servers on one PostgreSQL database and one shared data directory (keys, staging, artifacts):
 * releases, TUF versions, timestamp refreshes and assignment counters agree, also when both act at once.
 */
class TwoServersReleaseTest {
    @TempDir
    Path dir;

    @Test
    void twoServersPublishAsOne() throws Exception {
        TestDatabase db = BothDatabases.postgres();
        MutableClock clock = new MutableClock();
        OfflineRepo repo = new OfflineRepo();
        Path data = dir.resolve("data");
        try (TestServer a = TestServer.start(db, data, clock); TestServer b = TestServer.start(db, data, clock)) {
            assertThat(b.http.get("/api/v1/trust/online-keys", a.adminToken).text())
                    .isEqualTo(a.http.get("/api/v1/trust/online-keys", a.adminToken).text());
            repo.trust(a.http, a.adminToken, clock.instant());

            // upload on A, publish on B
            byte[] image = "image one".getBytes(StandardCharsets.UTF_8);
            Http.Response up = a.http.send("POST", "/api/v1/releases/images", a.adminToken, image, Map.of());
            Metadata<Targets> t1 = repo.addTarget("one.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey);
            Http.Response pub = b.http.post("/api/v1/releases", a.adminToken, Map.of("uploadId",
                    up.json().path("uploadId").asText(), "path", "one.bin", "targets", CanonicalJson.parse(t1.toBytes())));
            assertThat(pub.status()).as(pub.text()).isEqualTo(201);
            repo.targets = t1;

            // both publish targets version 2 at once: exactly one wins, the other is refused and changes nothing
            List<Callable<Http.Response>> racers = new ArrayList<>();
            for (TestServer s : List.of(a, b)) {
                String name = s == a ? "two-a.bin" : "two-b.bin";
                byte[] img = name.getBytes(StandardCharsets.UTF_8);
                Metadata<Targets> t2 = repo.addTarget(name, img, "2.0.0", "board-a", clock.instant()).sign(repo.targetsKey);
                racers.add(() -> {
                    Http.Response u = s.http.send("POST", "/api/v1/releases/images", a.adminToken, img, Map.of());
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("uploadId", u.json().path("uploadId").asText());
                    body.put("path", name);
                    body.put("targets", CanonicalJson.parse(t2.toBytes()));
                    return s.http.post("/api/v1/releases", a.adminToken, body);
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Integer> statuses = new ArrayList<>();
            for (Future<Http.Response> f : pool.invokeAll(racers)) {
                statuses.add(f.get().status());
            }
            pool.shutdown();
            assertThat(statuses).containsExactlyInAnyOrder(201, 409);
            assertThat(a.http.get("/api/v1/releases", a.adminToken).json().path("items")).hasSize(2);

            // both refresh the timestamp at once: one new version
            clock.advance(Duration.ofHours(13));
            List<Callable<Boolean>> refreshers = List.of(() -> a.server.publisher().refreshIfDue(),
                    () -> b.server.publisher().refreshIfDue());
            pool = Executors.newFixedThreadPool(2);
            List<Boolean> issued = new ArrayList<>();
            for (Future<Boolean> f : pool.invokeAll(refreshers)) {
                issued.add(f.get());
            }
            pool.shutdown();
            assertThat(issued).containsExactlyInAnyOrder(true, false);
            assertThat(a.http.get("/tuf/metadata/timestamp.json", null).text())
                    .isEqualTo(b.http.get("/tuf/metadata/timestamp.json", null).text());

            // a client reading from A sees what B published
            Path meta = dir.resolve("client/metadata");
            Files.createDirectories(meta);
            Updater.initialize(meta, repo.root.toBytes());
            Updater u = new Updater(UpdaterConfig.of(meta, a.server.uri().resolve("/tuf/metadata/"),
                    dir.resolve("client/targets"), b.server.uri().resolve("/tuf/targets/")), new HttpFetcher(), clock);
            u.refresh();
            assertThat(u.trusted().targets("targets").orElseThrow().signed().version()).isEqualTo(2);

            // assignment counters: deployments through A and B give one increasing sequence
            TestDevice d = a.device(KeyType.ED25519, "board-a");
            a.http.post("/api/v1/deployments", a.adminToken, Map.of("target", "one.bin", "deviceId", d.id()));
            long c1 = d.checkIn(b.http, d.envelope(d.manifest(d.id(), "x")), null).json().path("assignment")
                    .path("signed").path("counter").asLong();
            b.http.post("/api/v1/deployments", a.adminToken, Map.of("target", "one.bin", "deviceId", d.id()));
            long c2 = d.checkIn(a.http, d.envelope(d.manifest(d.id(), "x")), null).json().path("assignment")
                    .path("signed").path("counter").asLong();
            assertThat(c1).isEqualTo(1);
            assertThat(c2).isEqualTo(2);
        }
    }
}
