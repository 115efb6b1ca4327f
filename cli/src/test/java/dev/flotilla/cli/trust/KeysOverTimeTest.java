package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.trust.TufStore;
import dev.flotilla.sim.SimulatedDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys and metadata over time, with a running server, the operator's CLI commands and a simulated board
 * running the real agent (its TUF client included) in this JVM: a root rotation that replaces the root and
 * targets keys, and a targets expiry (server and board share a clock the test moves) refreshed by
 * {@code flotilla release refresh}. The fleet keeps updating through both.
 */
class KeysOverTimeTest {
    @TempDir
    Path tmp;
    private final TestClock clock = new TestClock();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> boardLog = new CopyOnWriteArrayList<>();
    private Server server;
    private String admin;
    private CliFixture fx;
    private SimulatedDevice board;
    private Thread boardThread;
    private String deviceId;

    @BeforeEach
    void start() throws Exception {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:keys" + System.nanoTime() + ";DB_CLOSE_DELAY=-1").withClock(clock)
                .withPollInterval(Duration.ofSeconds(1)));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root1", "root2", "targets", "targets2");
        ok(cli("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1")));
        String enroll = json("POST", "/api/v1/enrollment-tokens", "{\"description\":\"keys\"}").path("secret").asText();
        Path dir = tmp.resolve("board");
        SimulatedDevice.provision(dir, server.uri(), enroll, fx.repo.resolve("1.root.json"), "board-k", "1.0.0", 4096);
        board = new SimulatedDevice(dir, new DirectorAssignmentAdapter(clock), boardLog::add, List.of(), clock);
        boardThread = Thread.ofPlatform().name("board").start(() -> {
            try {
                board.run();
            } catch (Exception e) {
                boardLog.add("board stopped: " + e);
            }
        });
        deviceId = waitFor(() -> json("GET", "/api/v1/devices", null).path("items"), n -> n.size() == 1)
                .get(0).path("id").asText();
    }

    @AfterEach
    void stop() throws Exception {
        board.stop();
        boardThread.join(30_000);
        server.close();
    }

    @Test
    void aRotatedRootAndTargetsKeyReachTheBoardAndTheRemovedKeyIsRefused() throws Exception {
        ok(publish("1.1.0", fx.key("targets")));
        installs("1.1.0");

        CliRun rotate = cli("trust", "rotate", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root2"), "--targets-key", fx.pub("targets2"),
                "--sign-with", fx.key("root1"), fx.key("root2"));
        ok(rotate);
        assertThat(rotate.out()).contains("uploaded root version 2").contains("the targets keys changed");
        assertThat(fx.repo.resolve("2.root.json")).exists();
        // the removed root key alone cannot issue version 3
        assertOneLineError(cli("trust", "rotate", "--server", server.uri(), "--token", admin,
                "--sign-with", fx.key("root1")), "none of the --sign-with keys is a root key of the server's root version 2");
        // the new root key alone meets version 3's threshold and version 2's: a rotation that only renews the expiry
        // (with --json: the server's answer on stdout, the readable lines on stderr)
        CliRun renew = cli("trust", "rotate", "--server", server.uri(), "--token", admin, "--sign-with", fx.key("root2"),
                "--json");
        ok(renew);
        assertThat(CanonicalJson.parse(renew.out().strip().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .path("version").asLong()).isEqualTo(3);
        assertThat(renew.err()).contains("uploaded root version 3").doesNotContain("targets keys changed");

        // the removed targets key is refused by the server; the new one first re-signs what the old one signed
        assertOneLineError(publish("1.2.0", fx.key("targets")), "unsigned_metadata");
        assertOneLineError(publish("1.2.0", fx.key("targets2")), "refusing to sign on top of it");
        ok(cli("release", "refresh", "--server", server.uri(), "--token", admin, "--targets-key", fx.key("targets2"),
                "--previous-targets-key", fx.pub("targets")));
        ok(publish("1.2.0", fx.key("targets2")));
        JsonNode manifest = installs("1.2.0");
        assertThat(manifest.path("trustedRootVersion").asLong()).isEqualTo(3);

        // a compromised server publishing targets signed by the removed key: the board refuses them
        server.jdbi().useTransaction(h -> {
            TufStore store = new TufStore();
            store.lock(h);
            Targets t = Metadata.fromBytes(store.latest(h, "targets").orElseThrow().bytes(), Targets.class).signed();
            Metadata<Targets> forged = Metadata.of(new Targets(t.specVersion(), t.version() + 1, t.expires(), t.targets(),
                    t.delegations(), t.unrecognized())).sign(KeyFiles.loadSigner(fx.key("targets")));
            store.insert(h, "targets", t.version() + 1, forged.toBytes(), t.expires(), clock.millis());
            server.publisher().publishSnapshotAndTimestamp(h);
        });
        deploy("fw-1.1.0.img");
        JsonNode failure = waitFor(this::events, es -> es.stream().anyMatch(e -> e.path("type").asText().equals("failed")))
                .stream().filter(e -> e.path("type").asText().equals("failed")).findFirst().orElseThrow();
        assertThat(failure.path("details").path("reason").asText()).isEqualTo("METADATA_REFUSED");
        assertThat(failure.path("details").path("detail").asText()).contains("targets");
        assertThat(json("GET", "/api/v1/devices/" + deviceId, null).path("manifest").path("installedVersion").asText())
                .isEqualTo("1.2.0");
    }

    @Test
    void theBoardRefusesExpiredTargetsAndUpdatesAgainAfterARefresh() throws Exception {
        ok(publish("1.1.0", fx.key("targets")));
        installs("1.1.0");
        ok(publish("1.2.0", fx.key("targets")));
        CliRun status = cli("trust", "status", "--server", server.uri(), "--token", admin);
        ok(status);
        assertThat(status.out()).contains("targets  version 2, expires").contains("no expiry warnings");

        clock.advance(Duration.ofDays(91)); // past the targets' 90 days; the server's online roles catch up
        server.publisher().refreshIfDue();
        status = cli("trust", "status", "--server", server.uri(), "--token", admin);
        assertThat(status.out()).contains("warning: targets version 2 expired at");
        CliRun list = cli("release", "list", "--server", server.uri(), "--token", admin);
        ok(list);
        assertThat(list.err().strip().lines().toList()).hasSize(1).first().asString()
                .startsWith("flotilla: warning: targets version 2 expired at");

        String refused = deploy("fw-1.2.0.img");
        JsonNode failure = waitFor(this::events, es -> es.stream().anyMatch(e -> e.path("type").asText().equals("failed")))
                .stream().filter(e -> e.path("type").asText().equals("failed")).findFirst().orElseThrow();
        assertThat(failure.path("details").path("reason").asText()).isEqualTo("METADATA_REFUSED");
        assertThat(failure.path("details").path("detail").asText()).contains("expired");
        assertThat(json("GET", "/api/v1/devices/" + deviceId, null).path("manifest").path("installedVersion").asText())
                .isEqualTo("1.1.0");
        assertThat(json("GET", "/api/v1/deployments/" + refused, null).toString()).contains("failed");

        assertOneLineError(cli("release", "refresh", "--server", server.uri(), "--token", admin,
                "--targets-key", fx.key("targets"), "--expires-in", "90x"), "--expires-in");
        CliRun refresh = cli("release", "refresh", "--server", server.uri(), "--token", admin,
                "--targets-key", fx.key("targets"), "--expires-in", "180d");
        ok(refresh);
        assertThat(refresh.out()).contains("re-signed targets version 3 (2 targets)");
        assertThat(refresh.err()).isEmpty();
        JsonNode manifest = installs("1.2.0");
        String targetsExpires = json("GET", "/healthz", null).path("trust").path("targetsExpires").asText();
        assertThat(manifest.path("trustedMetadataExpires").asText()).isEqualTo(targetsExpires);
        assertThat(Instant.parse(targetsExpires)).isAfter(clock.instant().plus(Duration.ofDays(85)));
        assertThat(cli("trust", "status", "--server", server.uri(), "--token", admin).out()).contains("no expiry warnings");
    }

    // ---- helpers ----

    private static CliRun cli(Object... args) {
        return CliRun.of(args);
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.err()).isZero();
    }

    private CliRun publish(String version, Path targetsKey) throws Exception {
        Path image = tmp.resolve("fw-" + version + ".img");
        TestImage.write(image, TestImage.Behaviour.BOOT_OK, version, 20_000);
        return cli("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", version, "--hardware", "board-k", "--targets-key", targetsKey, "--no-progress");
    }

    private String deploy(String target) throws Exception {
        return json("POST", "/api/v1/deployments", "{\"target\":\"" + target + "\",\"deviceId\":\"" + deviceId + "\"}")
                .path("id").asText();
    }

    /** Deploys a published version to the board and waits for the manifest it signs after committing it. */
    private JsonNode installs(String version) throws Exception {
        deploy("fw-" + version + ".img");
        return waitFor(() -> json("GET", "/api/v1/devices/" + deviceId, null).path("manifest"),
                m -> m.path("installedVersion").asText().equals(version) && m.path("bootState").asText().equals("committed"));
    }

    private List<JsonNode> events() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        json("GET", "/api/v1/devices/" + deviceId + "/events?limit=500", null).path("items").forEach(out::add);
        return out;
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    private <T> T waitFor(Probe<T> probe, Predicate<T> done) throws Exception {
        long end = System.currentTimeMillis() + 120_000;
        T last = null;
        while (System.currentTimeMillis() < end) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not reached in 2 minutes; last value: " + last + "; board log: " + boardLog);
    }

    private JsonNode json(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body())).isBetween(200, 299);
        return CanonicalJson.parse(r.body());
    }

    /** Real time plus an offset the test moves forward. */
    static final class TestClock extends Clock {
        private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

        void advance(Duration d) {
            offset.updateAndGet(o -> o.plus(d));
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
