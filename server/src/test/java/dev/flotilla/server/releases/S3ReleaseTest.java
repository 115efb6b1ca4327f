package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.StartupException;
import dev.flotilla.server.artifacts.ArtifactSettings;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.S3ProxyServer;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Releases whose images live in S3-compatible object storage (a real s3proxy on loopback): uploaded in
 * parts, served by the node with ranges or by redirect (presigned or mirror) after the access check, and
 * nothing half-stored when the store goes away mid-upload; wrong credentials stop the start with one line.
 */
class S3ReleaseTest {
    private static final int PART = ArtifactSettings.MIN_PART_SIZE;

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();
    private final HttpClient follower = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    private final HttpClient plain = HttpClient.newHttpClient();
    private S3ProxyServer s3;
    private TestServer srv;

    @AfterEach
    void stop() throws Exception {
        if (srv != null) {
            srv.close();
        }
        if (s3 != null) {
            s3.close();
        }
        follower.close();
        plain.close();
    }

    private static byte[] image(int length) {
        byte[] b = new byte[length];
        new Random(length).nextBytes(b);
        return b;
    }

    private void start(TestDatabase db, UnaryOperator<ArtifactSettings> how) throws Exception {
        s3 = S3ProxyServer.start(dir.resolve("s3"));
        ArtifactSettings settings = how.apply(s3.settings("fleet").withPartSize(PART));
        srv = TestServer.start(db, dir.resolve("data"), clock,
                c -> c.withArtifacts(settings).withMaxImageBytes(64L * 1024 * 1024));
        repo.trust(srv.http, srv.adminToken, clock.instant());
    }

    private String publish(String path, byte[] img) {
        Http.Response r = repo.publish(srv.http, srv.adminToken, path, img,
                repo.addTarget(path, img, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return "/tuf/targets/" + Digests.sha256Hex(img) + "." + path;
    }

    private HttpResponse<byte[]> get(HttpClient client, String path, String token, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(srv.server.uri().resolve(path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private long rows(String table) {
        return srv.server.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + table)
                .mapTo(Long.class).one());
    }

    @StoreTest
    void imagesLiveInTheBucketAndTheNodeServesThemWithRanges(TestDatabase db) throws Exception {
        start(db, s -> s);
        byte[] img = image(PART + PART / 2); // two parts
        String path = publish("fw-1.bin", img);
        String key = srv.server.jdbi().withHandle(h -> ReleaseService.artifactKey(h, "fw-1.bin")).orElseThrow();
        assertThat(s3.objects()).containsExactly("fleet/" + key);
        assertThat(dir.resolve("data/artifacts")).doesNotExist();

        HttpResponse<byte[]> whole = get(plain, path, srv.adminToken, Map.of());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(img);
        HttpResponse<byte[]> part = get(plain, path, srv.adminToken, Map.of("Range", "bytes=" + (PART - 5) + "-" + (PART + 4)));
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes " + (PART - 5) + "-" + (PART + 4) + "/" + img.length);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(img, PART - 5, PART + 5));

        Http.Response deleted = repo.delete(srv.http, srv.adminToken, "fw-1.bin",
                repo.withoutTarget("fw-1.bin", clock.instant()).sign(repo.targetsKey));
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        assertThat(s3.objects()).isEmpty();
    }

    @Test
    void aPresignedRedirectComesAfterTheAccessCheckAndAnHttpClientFollowsIt() throws Exception {
        start(BothDatabases.h2(), s -> s.withDownloads(ArtifactSettings.Downloads.PRESIGNED, null));
        byte[] img = image(300_000);
        String path = publish("fw-1.bin", img);
        TestDevice assigned = srv.device(KeyType.ED25519, "board-a");
        TestDevice other = srv.device(KeyType.ED25519, "board-a");
        assertThat(srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-1.bin", "deviceId", assigned.id())).status()).isEqualTo(201);

        assertThat(get(plain, path, null, Map.of()).statusCode()).isEqualTo(401);
        assertThat(get(plain, path, other.token(), Map.of()).statusCode()).isEqualTo(403);
        HttpResponse<byte[]> redirect = get(plain, path, assigned.token(), Map.of());
        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("Cache-Control")).hasValue("no-store");
        URI location = URI.create(redirect.headers().firstValue("Location").orElseThrow());
        assertThat(location.toString()).startsWith(s3.endpoint() + "/images/fleet/artifacts/upl_")
                .contains("X-Amz-Signature=").doesNotContain(S3ProxyServer.SECRET_KEY);

        HttpResponse<byte[]> followed = get(follower, path, assigned.token(), Map.of());
        assertThat(followed.statusCode()).isEqualTo(200);
        assertThat(followed.body()).isEqualTo(img);
        HttpResponse<byte[]> range = plain.send(HttpRequest.newBuilder(location).header("Range", "bytes=10-19").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(img, 10, 20));
    }

    @Test
    void aMirrorRedirectNamesTheImageKeyUnderTheBase() throws Exception {
        start(BothDatabases.h2(), s -> s.withDownloads(ArtifactSettings.Downloads.MIRROR,
                URI.create("https://cdn.example/fleet")));
        String path = publish("fw-1.bin", image(1000));
        String key = srv.server.jdbi().withHandle(h -> ReleaseService.artifactKey(h, "fw-1.bin")).orElseThrow();
        HttpResponse<byte[]> r = get(plain, path, srv.adminToken, Map.of());
        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(r.headers().firstValue("Location")).hasValue("https://cdn.example/fleet/" + key);
        assertThat(get(plain, "/tuf/targets/" + "0".repeat(64) + ".fw-1.bin", srv.adminToken, Map.of()).statusCode())
                .isEqualTo(404);
    }

    @Test
    void aBucketUnreachableMidUploadIsA503AndLeavesNoUploadNoReleaseNoObject() throws Exception {
        start(BothDatabases.h2(), s -> s);
        // one part and a little: whichever part's upload the outage fails, at most those last bytes of the body are
        // still on their way, and the server reads them (RequestBodies) so that the client gets its 503 rather than
        // a connection closed under a body still being sent
        byte[] img = image(PART + 1000);
        InputStream body = new ByteArrayInputStream(img) {
            private boolean stopped;

            @Override
            public synchronized int read(byte[] b, int off, int len) {
                if (pos > PART + 1 && !stopped) { // the first part is in the bucket: the store goes away
                    stopped = true;
                    try {
                        s3.stop();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return super.read(b, off, len);
            }
        };
        HttpResponse<String> r = plain.send(HttpRequest.newBuilder(srv.server.uri().resolve("/api/v1/releases/images"))
                .header("Authorization", "Bearer " + srv.adminToken)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.body()).contains("artifact_store_unavailable").contains("the object store is unreachable")
                .contains("s3://images/fleet/").doesNotContain(S3ProxyServer.SECRET_KEY);
        s3.restart();
        assertThat(s3.objects()).isEmpty();
        assertThat(rows("image_uploads")).isZero();
        assertThat(rows("releases")).isZero();
        // the store is back: the next upload works
        publish("fw-1.bin", image(1000));
        assertThat(s3.objects()).hasSize(1);
    }

    @Test
    void credentialsThatStopWorkingAfterTheStartMakeAnUploadAOneLine503() throws Exception {
        start(BothDatabases.h2(), s -> s);
        s3.restartWithSecret("rotated-secret"); // the store's key was rotated, the server still has the old one
        HttpResponse<String> r = plain.send(HttpRequest.newBuilder(srv.server.uri().resolve("/api/v1/releases/images"))
                .header("Authorization", "Bearer " + srv.adminToken)
                .POST(HttpRequest.BodyPublishers.ofByteArray(image(1000))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.body()).contains("artifact_store_unavailable")
                .contains("access denied: the access key is wrong or may not use this bucket")
                .doesNotContain(S3ProxyServer.SECRET_KEY).doesNotContain("\\n");
        assertThat(rows("image_uploads")).isZero();
        assertThat(s3.objects()).isEmpty();
    }

    @Test
    void wrongCredentialsStopTheStartWithOneLine() throws Exception {
        s3 = S3ProxyServer.start(dir.resolve("s3"));
        ArtifactSettings good = s3.settings("fleet");
        ArtifactSettings wrong = ArtifactSettings.s3(good.location(), good.endpoint(), null, true,
                new ArtifactSettings.Credentials("wrong-id", "wrong-secret"));
        ServerConfig config = ServerConfig.defaults().withDataDir(dir.resolve("data")).withPort(0)
                .withHost("127.0.0.1").withArtifacts(wrong);
        assertThatThrownBy(() -> Server.start(config)).isInstanceOfSatisfying(StartupException.class, e -> {
            assertThat(e.reason()).isEqualTo(StartupException.Reason.ARTIFACT_STORE);
            assertThat(e.getMessage()).startsWith("cannot use the artifact store: opening s3://images/fleet/")
                    .contains("access denied").doesNotContain("wrong-secret").doesNotContain("\n");
        });
        assertThat(Files.exists(dir.resolve("data/flotilla.mv.db"))).isFalse(); // checked before the database
    }
}
