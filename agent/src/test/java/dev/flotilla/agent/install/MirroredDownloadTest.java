package dev.flotilla.agent.install;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Image mirrors tried in order against real loopback servers: down, failing, missing the image, good. */
class MirroredDownloadTest {
    @TempDir
    Path dir;
    byte[] image;
    RepoHttpServer mirror;
    RepoHttpServer server;
    final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        image = new byte[200_000];
        new Random(3).nextBytes(image);
        Files.createDirectories(dir.resolve("a/targets"));
        Files.write(dir.resolve("a/targets/fw.img"), image);
        Files.createDirectories(dir.resolve("b/targets"));
        Files.write(dir.resolve("b/targets/fw.img"), image);
        mirror = new RepoHttpServer(dir.resolve("a"));
        server = new RepoHttpServer(dir.resolve("b"));
    }

    @AfterEach
    void stop() {
        mirror.close();
        server.close();
    }

    /** A loopback URL on which nothing listens (connections are refused). */
    private static URI down() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort() + "/tuf/targets/");
        }
    }

    private MirroredDownload download(List<URI> bases, long offset) {
        List<URI> sources = bases.stream().map(b -> b.resolve("fw.img")).toList();
        return new MirroredDownload(sources, offset, image.length, (url, from, last) -> new RangeDownload(url, from,
                image.length, last ? 3 : 1, Duration.ofMillis(1), Duration.ofSeconds(5)), log::add);
    }

    @Test
    void aMirrorThatIsDownHandsOverToTheNextWhichServesEveryByte() throws IOException {
        URI dead = down();
        try (MirroredDownload in = download(List.of(dead, mirror.targetsUrl(), server.targetsUrl()), 0)) {
            assertThat(in.readAllBytes()).isEqualTo(image);
            assertThat(in.source()).isEqualTo(mirror.targetsUrl().resolve("fw.img"));
        }
        assertThat(mirror.ranges).hasSize(1);
        assertThat(server.ranges).isEmpty();
        assertThat(log).singleElement().asString().contains("failed at byte 0").contains(mirror.targetsUrl().toString());
    }

    @Test
    void a5xxOrA404GoesOnToTheNextSourceFromTheByteReached() throws IOException {
        mirror.failWith = 503;
        try (MirroredDownload in = download(List.of(mirror.targetsUrl(), server.targetsUrl()), 1000)) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(image, 1000, image.length));
        }
        assertThat(mirror.ranges).hasSize(2); // one retry of a mirror
        assertThat(server.ranges).containsExactly("bytes=1000-");

        // a 404 hands over at once
        mirror.failWith = 404;
        mirror.ranges.clear();
        server.ranges.clear();
        try (MirroredDownload in = download(List.of(mirror.targetsUrl(), server.targetsUrl()), 0)) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        }
        assertThat(mirror.ranges).hasSize(1);
        assertThat(server.ranges).containsExactly("");
    }

    @Test
    void aMirrorThatBreaksOffMidImageHandsOverFromTheByteItReached() throws IOException {
        Files.write(dir.resolve("a/targets/fw.img"), Arrays.copyOf(image, 50_000)); // a stale, truncated copy
        try (MirroredDownload in = download(List.of(mirror.targetsUrl(), server.targetsUrl()), 0)) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        }
        assertThat(mirror.ranges).containsExactly("", "bytes=50000-");
        assertThat(server.ranges).containsExactly("bytes=50000-");
    }

    @Test
    void whenEverySourceFailsTheErrorNamesThemAll() throws IOException {
        URI dead = down();
        server.failWith = 404;
        try (InputStream in = download(List.of(dead, server.targetsUrl()), 0)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
                    .hasMessageContaining("could not be downloaded from any source")
                    .hasMessageContaining(dead.resolve("fw.img").toString())
                    .hasMessageContaining(server.targetsUrl().resolve("fw.img") + " answered 404");
        }
    }

    @Test
    void aRedirectIsFollowedWithTheRangeButWithoutTheDeviceToken() throws IOException {
        HttpServer redirector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<String> tokens = new ArrayList<>();
        redirector.createContext("/", ex -> {
            tokens.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            ex.getResponseHeaders().add("Location", mirror.targetsUrl().resolve("fw.img") + "?X-Amz-Signature=abc");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        redirector.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + redirector.getAddress().getPort() + "/tuf/targets/fw.img");
            RangeDownload d = new RangeDownload(url, 500, image.length, 0, Duration.ofMillis(1), Duration.ofSeconds(5))
                    .authorizing(renew -> "fld_device");
            try (d) {
                assertThat(d.readAllBytes()).isEqualTo(Arrays.copyOfRange(image, 500, image.length));
            }
        } finally {
            redirector.stop(0);
        }
        assertThat(tokens).containsExactly("Bearer fld_device");
        assertThat(mirror.authorizations).containsExactly("");
        assertThat(mirror.ranges).containsExactly("bytes=500-");
    }
}
