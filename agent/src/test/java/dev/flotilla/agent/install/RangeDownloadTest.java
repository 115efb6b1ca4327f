package dev.flotilla.agent.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ranged downloads against a real loopback HTTP server that misbehaves on purpose. */
class RangeDownloadTest {
    @TempDir
    Path dir;
    RepoHttpServer server;
    byte[] image;
    URI url;

    @BeforeEach
    void start() throws IOException {
        image = new byte[300_000];
        new Random(7).nextBytes(image);
        Files.createDirectories(dir.resolve("targets"));
        Files.write(dir.resolve("targets/fw.img"), image);
        server = new RepoHttpServer(dir);
        url = server.targetsUrl().resolve("fw.img");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RangeDownload download(long offset, int retries) {
        return new RangeDownload(url, offset, image.length, retries, Duration.ofMillis(1), Duration.ofSeconds(5));
    }

    @Test
    void startsAtTheOffsetWithARangeRequest() throws IOException {
        try (InputStream in = download(100_000, 0)) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(image, 100_000, image.length));
        }
        assertThat(server.ranges).containsExactly("bytes=100000-");
    }

    @Test
    void theDeviceTokenGoesWithEveryResumedConnectionAndIsRenewedOnceWhenRefused() throws IOException {
        server.requiredBearer = "fld_fresh";
        server.cutAfter = 100_000;
        java.util.List<Boolean> asked = new java.util.ArrayList<>();
        RangeDownload.Bearer tokens = renew -> {
            asked.add(renew);
            return renew ? "fld_fresh" : asked.size() == 1 ? "fld_expired" : "fld_fresh";
        };
        try (InputStream in = download(0, 3).authorizing(tokens)) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        }
        assertThat(asked).as("the expired token was renewed once").containsOnlyOnce(true);
        assertThat(server.authorizations.get(0)).isEqualTo("Bearer fld_expired");
        assertThat(server.authorizations.subList(1, server.authorizations.size())).containsOnly("Bearer fld_fresh");
        assertThat(server.ranges).contains("bytes=100000-", "bytes=200000-");

        server.requiredBearer = "fld_other";
        RangeDownload refused = download(0, 3).authorizing(renew -> "fld_fresh");
        assertThatThrownBy(refused::read).isInstanceOf(IOException.class).hasMessageContaining("401");
    }

    @Test
    void brokenConnectionsAreResumedWithRangesUntilDone() throws IOException {
        server.cutAfter = 40_000;
        try (InputStream in = download(0, 3)) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        }
        assertThat(server.ranges.size()).isGreaterThanOrEqualTo(8);
        assertThat(server.ranges.get(0)).isEmpty();
        assertThat(server.ranges.get(1)).isEqualTo("bytes=40000-");
    }

    @Test
    void missingFilesFailAtOnceAndRetriesAreBounded() {
        URI missing = server.targetsUrl().resolve("gone.img");
        RangeDownload d = new RangeDownload(missing, 0, 10, 3, Duration.ofMillis(1), Duration.ofSeconds(5));
        assertThatThrownBy(d::read).isInstanceOf(IOException.class).hasMessageContaining("404");
        assertThat(server.ranges).hasSize(1); // a 404 is not retried

        RangeDownload dead = new RangeDownload(URI.create("http://127.0.0.1:1/fw.img"), 0, 10, 2, Duration.ofMillis(1),
                Duration.ofSeconds(2));
        assertThatThrownBy(dead::read).isInstanceOf(IOException.class).hasMessageContaining("after 2 retries");
    }

    @Test
    void neverReturnsMoreThanTheSignedLength() throws IOException {
        server.junkBytes = 50_000;
        try (InputStream in = download(0, 0)) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        }
        try (InputStream in = new RangeDownload(url, 0, 1000, 0, Duration.ofMillis(1), Duration.ofSeconds(5))) {
            assertThat(in.readAllBytes()).hasSize(1000);
        }
    }

    @Test
    void aServerThatIgnoresRangeIsSkippedForward() throws IOException {
        server.ignoreRange = true;
        try (InputStream in = download(250_000, 0)) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(image, 250_000, image.length));
        }
    }

    @Test
    void aRangeThatStartsElsewhereIsRefused() {
        server.wrongRangeStart = true;
        RangeDownload d = download(1000, 5);
        assertThatThrownBy(d::read).isInstanceOf(IOException.class).hasMessageContaining("does not start at 1000");
        assertThat(server.ranges).hasSize(1);
    }

    @Test
    void aServerThatDripsBytesIsDroppedAfterTheSlowConnectionsAllowed() {
        server.dripMillis = 50; // 20 bytes/s, every read well inside the 5 s read timeout
        long started = System.nanoTime();
        RangeDownload d = new RangeDownload(url, 0, image.length, 2, Duration.ofMillis(1), Duration.ofSeconds(5),
                1000, Duration.ofMillis(300));

        assertThatThrownBy(d::readAllBytes).isInstanceOf(IOException.class)
                .hasMessageContaining("slower than 1000 bytes/s on 3 connections");
        assertThat(server.ranges).hasSize(3);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }
}
