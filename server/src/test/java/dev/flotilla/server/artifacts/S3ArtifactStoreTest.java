package dev.flotilla.server.artifacts;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.server.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 artifact store against a real S3-compatible server (s3proxy) on loopback. */
class S3ArtifactStoreTest {
    private static final int PART = ArtifactSettings.MIN_PART_SIZE;

    @TempDir
    Path dir;
    private S3ProxyServer s3;

    @BeforeEach
    void start() throws Exception {
        s3 = S3ProxyServer.start(dir.resolve("s3"));
    }

    @AfterEach
    void stop() throws Exception {
        s3.close();
    }

    private static byte[] image(int length) {
        byte[] b = new byte[length];
        new Random(length).nextBytes(b);
        return b;
    }

    private static byte[] read(ArtifactStore store, String key, long first, long count) throws IOException {
        try (InputStream in = store.open(key, first, count)) {
            return in.readAllBytes();
        }
    }

    @Test
    void smallAndMultipartPutsAreHashedAndReadBackWholeAndInRanges() throws Exception {
        try (ArtifactStore store = s3.settings("fleet/eu").withPartSize(PART).open(dir)) {
            byte[] small = image(1000);
            ArtifactStore.Stored one = store.put("artifacts/small", new ByteArrayInputStream(small), 1 << 30);
            assertThat(one).isEqualTo(new ArtifactStore.Stored(1000, Digests.sha256Hex(small),
                    dev.flotilla.core.crypto.Hex.encode(Digests.create("sha512").digest(small))));

            byte[] large = image(2 * PART + 12345); // three parts, the last one short
            ArtifactStore.Stored big = store.put("artifacts/large", new ByteArrayInputStream(large), 1 << 30);
            assertThat(big.length()).isEqualTo(large.length);
            assertThat(big.sha256()).isEqualTo(Digests.sha256Hex(large));
            assertThat(store.size("artifacts/large")).isEqualTo(large.length);
            assertThat(read(store, "artifacts/large", 0, large.length)).isEqualTo(large);
            assertThat(read(store, "artifacts/large", PART - 10, 20))
                    .isEqualTo(java.util.Arrays.copyOfRange(large, PART - 10, PART + 10));
            assertThat(read(store, "artifacts/small", 5, 0)).isEmpty();
            assertThat(s3.objects()).containsExactly("fleet/eu/artifacts/large", "fleet/eu/artifacts/small");

            store.delete("artifacts/large");
            assertThat(s3.objects()).containsExactly("fleet/eu/artifacts/small");
            assertThatThrownBy(() -> store.size("artifacts/large")).isInstanceOf(ArtifactStoreException.class)
                    .hasMessageContaining("no such object");
        }
    }

    @Test
    void aPutBeyondTheLimitOrFromAFailingInputLeavesNoObject() throws Exception {
        try (ArtifactStore store = s3.settings("p").withPartSize(PART).open(dir)) {
            assertThatThrownBy(() -> store.put("artifacts/big", new ByteArrayInputStream(image(PART + 10)), PART + 9))
                    .isInstanceOf(ArtifactTooLargeException.class);
            InputStream failing = new java.io.SequenceInputStream(new ByteArrayInputStream(image(PART + 1)),
                    new InputStream() {
                        @Override
                        public int read() throws IOException {
                            throw new IOException("client went away");
                        }
                    });
            assertThatThrownBy(() -> store.put("artifacts/cut", failing, 1 << 30))
                    .isInstanceOf(UncheckedIOException.class);
            assertThat(s3.objects()).isEmpty();
        }
    }

    @Test
    void aStoreThatBecomesUnreachableMidUploadFailsClearlyAndStoresNothing() throws Exception {
        try (ArtifactStore store = s3.settings("p").withPartSize(PART).open(dir)) {
            byte[] large = image(3 * PART);
            InputStream stopsTheStore = new ByteArrayInputStream(large) {
                private boolean stopped;

                @Override
                public synchronized int read(byte[] b, int off, int len) {
                    if (pos >= PART + 1 && !stopped) { // the first part is uploaded: the store goes away
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
            assertThatThrownBy(() -> store.put("artifacts/lost", stopsTheStore, 1 << 30))
                    .isInstanceOf(ArtifactStoreException.class)
                    .hasMessageStartingWith("storing artifacts/lost in s3://images/p/ at " + s3.endpoint())
                    .hasMessageContaining("unreachable")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            s3.restart();
            assertThat(s3.objects()).isEmpty();
            assertThatThrownBy(() -> store.size("artifacts/lost")).hasMessageContaining("no such object");
        }
    }

    @Test
    void wrongCredentialsAMissingBucketAndNoServerAreOneLineAtOpen() throws Exception {
        ArtifactSettings good = s3.settings("p");
        ArtifactSettings wrong = ArtifactSettings.s3(good.location(), good.endpoint(), null, true,
                new ArtifactSettings.Credentials(S3ProxyServer.ACCESS_KEY, "not-the-secret"));
        assertThatThrownBy(() -> wrong.open(dir)).isInstanceOf(ArtifactStoreException.class)
                .hasMessageContaining("access denied: the access key is wrong or may not use this bucket")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-secret").doesNotContain("\n"));
        ArtifactSettings noBucket = ArtifactSettings.s3(URI.create("s3://missing/p"), good.endpoint(), null, true,
                good.credentials());
        assertThatThrownBy(() -> noBucket.open(dir)).hasMessageContaining("no such bucket");
        s3.stop();
        assertThatThrownBy(() -> good.open(dir)).isInstanceOf(ArtifactStoreException.class)
                .hasMessageContaining("the object store is unreachable");
    }

    @Test
    void presignedUrlsWorkWithoutCredentialsAndFollowTheAddressingStyle() throws Exception {
        byte[] img = image(70_000);
        try (ArtifactStore store = s3.settings("p").open(dir)) {
            store.put("artifacts/a", new ByteArrayInputStream(img), 1 << 30);
            URI url = store.downloadUrl("artifacts/a", Duration.ofMinutes(5)).orElseThrow();
            assertThat(url.getHost()).isEqualTo("127.0.0.1");
            assertThat(url.getPath()).isEqualTo("/images/p/artifacts/a");
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(img);
        }
        ArtifactSettings virtualHost = ArtifactSettings.s3(URI.create("s3://images/p"),
                URI.create("http://objects.example:9000"), "eu-west-1", false,
                new ArtifactSettings.Credentials("id", "secret"));
        URI url = presignWithoutChecking(virtualHost);
        assertThat(url.getHost()).isEqualTo("images.objects.example");
        assertThat(url.getPath()).isEqualTo("/p/artifacts/a");
        assertThat(url.getQuery()).contains("X-Amz-Credential=id/").contains("eu-west-1").doesNotContain("secret");
    }

    /** A presigned URL computed offline (presigning needs no request to the store). */
    private static URI presignWithoutChecking(ArtifactSettings settings) {
        try (S3ArtifactStore store = S3ArtifactStore.unchecked(settings)) {
            return store.downloadUrl("artifacts/a", Duration.ofMinutes(1)).orElseThrow();
        }
    }

    @Test
    void localStoreHasNoDownloadUrl() {
        try (ArtifactStore store = ArtifactSettings.local().open(dir)) {
            assertThat(store.downloadUrl("artifacts/a", Duration.ofMinutes(1))).isEmpty();
        }
    }
}
