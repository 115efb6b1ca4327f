package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code flotilla trust init --server} and {@code flotilla release publish} against a real server. */
class ReleasePublishCommandTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:cli" + System.nanoTime() + ";DB_CLOSE_DELAY=-1")
                .withPublicArtifacts(true)); // the TUF client below downloads images as a mirror would, without a token
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root1", "targets", "other");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CliRun trustInit() {
        return CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1"));
    }

    private Path image(String name, int size, long seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Path p = tmp.resolve(name);
        Files.write(p, b);
        return p;
    }

    @Test
    void trustInitUploadsARootWithTheServersOnlineKeysAndPublishWorksTwice() throws Exception {
        CliRun init = trustInit();
        assertThat(init.exitCode()).as(init.err()).isZero();
        Metadata<Root> root = Metadata.fromBytes(Files.readAllBytes(fx.repo.resolve("1.root.json")), Root.class);
        assertThat(root.signed().roles()).containsKeys("root", "targets", "snapshot", "timestamp", "director");
        assertThat(root.signed().role("director").keyids()).containsExactly(server.onlineKeys().director().keyId());
        assertThat(trustInit().exitCode()).as("a second version 1 is refused").isNotZero();

        Path one = image("fw-1.0.bin", 200_000, 1);
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();
        assertThat(pub.out()).contains("targets version 1");
        Path two = image("fw-1.1.bin", 1000, 2);
        pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", two,
                "--version", "1.1.0", "--hardware", "board-a", "--security-version", 2, "--targets-key", fx.key("targets"),
                "--json");
        assertThat(pub.exitCode()).as(pub.err()).isZero();
        JsonNode release = CanonicalJson.parse(pub.out().strip().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(release.path("targetPath").asText()).isEqualTo("fw-1.1.bin");
        assertThat(release.path("length").asLong()).isEqualTo(1000);
        assertThat(pub.out()).doesNotContain("published");

        Path meta = tmp.resolve("client/metadata");
        Files.createDirectories(meta);
        Updater.initialize(meta, Files.readAllBytes(fx.repo.resolve("1.root.json")));
        Updater u = new Updater(UpdaterConfig.of(meta, server.uri().resolve("/tuf/metadata/"), tmp.resolve("client/t"),
                server.uri().resolve("/tuf/targets/")), new HttpFetcher(), Clock.systemUTC());
        u.refresh();
        for (Path img : new Path[] {one, two}) {
            var info = u.getTargetInfo(img.getFileName().toString()).orElseThrow();
            assertThat(Files.readAllBytes(u.downloadTarget(info, tmp.resolve("client/got")))).isEqualTo(Files.readAllBytes(img));
        }
    }

    @Test
    void showsAnUploadProgressBarOnStderrAndKeepsItOutOfStdout() throws Exception {
        assertThat(trustInit().exitCode()).isZero();
        Path one = image("fw-1.0.bin", 300_000, 1);
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.err;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8)); // where the bar writes
        CliRun pub;
        try {
            pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                    "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"));
        } finally {
            System.setErr(saved);
        }
        assertThat(pub.exitCode()).as(pub.err()).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("upload fw-1.0.bin").contains("100%")
                .containsPattern("(\\d+)/\\1 KiB"); // the whole image
        assertThat(pub.out()).contains("published fw-1.0.bin (300000 bytes").doesNotContain("100%");
    }

    @Test
    void publishRefusesWrongKeysWithOneLine() throws Exception {
        assertThat(trustInit().exitCode()).isZero();
        Path one = image("fw-1.0.bin", 100, 1);
        CliRun wrong = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("other"), "--no-progress");
        assertOneLineError(wrong, "unsigned_metadata");
        CliRun ok = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        Path two = image("fw-2.bin", 100, 2);
        CliRun onTop = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", two,
                "--version", "2.0.0", "--hardware", "board-a", "--targets-key", fx.key("other"), "--no-progress");
        assertOneLineError(onTop, "refusing to sign on top of it");
    }

    @Test
    void publishingAPublishedNameAgainIsRefusedWithOneLine() throws Exception {
        assertThat(trustInit().exitCode()).isZero();
        Path one = image("fw-1.0.bin", 100, 1);
        CliRun first = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(first.exitCode()).as(first.err()).isZero();
        CliRun again = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                "--version", "1.0.1", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertOneLineError(again, "target 'fw-1.0.bin' is already published with these bytes (version 1.0.0)");
        Files.write(one, new byte[] {9, 9, 9});
        CliRun other = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", one,
                "--version", "1.0.1", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertOneLineError(other, "target 'fw-1.0.bin' is already published with other content");
        CliRun list = CliRun.of("release", "list", "--server", server.uri(), "--token", admin);
        assertThat(list.out()).contains("1.0.0").doesNotContain("1.0.1");
    }

    @Test
    void publishOfADirectorySaysItIsADirectory() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        CliRun run = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", images,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertOneLineError(run, images + ": is a directory; --image takes the firmware image file");
    }

    @Test
    void ctrlCDuringTheUploadSaysNothingWasPublished() throws Exception {
        CountDownLatch uploading = new CountDownLatch(1);
        HttpServer stalling = HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stalling.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/api/v1/releases/images")) {
                uploading.countDown();
                try {
                    Thread.sleep(60_000); // never answers: the operator presses Ctrl-C meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        stalling.setExecutor(Executors.newCachedThreadPool());
        stalling.start();
        Path image = image("fw-big.bin", 4_000_000, 3);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main",
                "release", "publish", "--server", "http://127.0.0.1:" + stalling.getAddress().getPort(),
                "--token", "flt_x", "--image", image.toString(), "--version", "1.0.0", "--hardware", "board-a",
                "--targets-key", fx.key("targets").toString(), "--no-progress")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertThat(uploading.await(60, TimeUnit.SECONDS)).as("upload started").isTrue();
            p.toHandle().destroy(); // SIGTERM: the JVM shuts down as on Ctrl-C
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(err.lines().toList())
                    .containsExactly("flotilla: publish cancelled during the upload; nothing was published");
        } finally {
            p.destroyForcibly();
            stalling.stop(0);
        }
    }
}
