package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;
import dev.flotilla.core.tuf.client.TrustedMetadataSet;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.trust.TufStore;
import dev.flotilla.sim.SimulatedDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The compromise runbooks of docs/security-model.md, command by command, against a server on loopback and a
 * simulated board running the real agent: a stolen targets key revoked by a root rotation, and stolen online keys
 * replaced by restarting the server with new keys and a root rotation that names them.
 */
class CompromiseRecoveryTest {
    @TempDir
    Path tmp;
    private final Clock clock = Clock.systemUTC();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> boardLog = new CopyOnWriteArrayList<>();
    private ServerConfig config;
    private Server server;
    private String admin;
    private CliFixture fx;
    private SimulatedDevice board;
    private Thread boardThread;
    private String deviceId;

    @BeforeEach
    void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // the board keeps the server's URL across the restart
        }
        config = ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(port).withHost("127.0.0.1")
                .withPollInterval(Duration.ofSeconds(1));
        server = Server.start(config);
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root", "targets");
        ok(cli("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root")));
        String enroll = json("POST", "/api/v1/enrollment-tokens", "{\"description\":\"runbook\"}").path("secret").asText();
        Path dir = tmp.resolve("board");
        SimulatedDevice.provision(dir, server.uri(), enroll, fx.repo.resolve("1.root.json"), "board-r", "1.0.0", 4096);
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
        ok(publish("1.1.0", fx.key("targets")));
        installs("1.1.0");
    }

    @AfterEach
    void stop() throws Exception {
        board.stop();
        boardThread.join(30_000);
        server.close();
    }

    @Test
    void aStolenTargetsKeyIsRevokedByARootRotation() throws Exception {
        // runbook (a): a new targets key, a root that lists only it, the current targets re-signed with it
        ok(cli("keys", "generate", "--type", "ecdsa-p256", "--out", fx.keys, "--name", "targets-2"));
        ok(cli("trust", "rotate", "--server", server.uri(), "--token", admin, "--targets-key", fx.pub("targets-2"),
                "--sign-with", fx.key("root"), "--out", fx.repo));
        ok(cli("release", "refresh", "--server", server.uri(), "--token", admin, "--targets-key", fx.key("targets-2"),
                "--previous-targets-key", fx.pub("targets")));

        // the thief's key no longer publishes (the server checks the new root's targets role); the new one does
        Targets current = ServerTargets.current(http, server.uri());
        Metadata<Targets> stolen = Metadata.of(new Targets(current.specVersion(), current.version() + 1,
                current.expires(), current.targets(), current.delegations(), current.unrecognized()))
                .sign(KeyFiles.loadSigner(fx.key("targets")));
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(server.uri().resolve("/api/v1/trust/targets"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(stolen.toBytes())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("unsigned_metadata");
        assertOneLineError(publish("6.6.6", fx.key("targets")), "refusing to sign on top of it");
        ok(publish("1.2.0", fx.key("targets-2")));
        assertThat(installs("1.2.0").path("trustedRootVersion").asLong()).isEqualTo(2);

        // a thief who also controls the server serves targets signed by the stolen key: the board refuses them
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
        assertThat(json("GET", "/api/v1/devices/" + deviceId, null).path("manifest").path("installedVersion").asText())
                .isEqualTo("1.2.0");
    }

    @Test
    void stolenOnlineKeysAreReplacedByARestartWithNewKeysAndARootRotation() throws Exception {
        Path keys = config.dataDir().resolve("keys");
        String oldTimestampKey = KeyFiles.loadSigner(keys.resolve("timestamp.pem")).keyId();

        // runbook (b): stop the server, set the stolen keys aside, start it (new keys), rotate the root to them
        server.close();
        Path compromised = config.dataDir().resolve("keys.compromised");
        Files.move(keys, compromised);
        // new keys the root does not name yet: a plain start is refused, the start for the rotation says so
        assertThatThrownBy(() -> Server.start(config)).isInstanceOf(dev.flotilla.server.StartupException.class)
                .hasMessageContaining("are not the ones devices trust");
        server = Server.start(config.withOnlineKeys(new dev.flotilla.server.trust.OnlineKeySettings(null, true)));
        Path printed = Files.writeString(tmp.resolve("online-keys.json"), onlineKeyIdsLine()); // the start-up line
        assertThat(KeyFiles.loadSigner(keys.resolve("timestamp.pem")).keyId()).isNotEqualTo(oldTimestampKey);
        assertOneLineError(cli("trust", "rotate", "--server", server.uri(), "--token", admin, "--sign-with", fx.key("root")),
                "the server's online keys are not those root version 1 names");
        ok(cli("trust", "rotate", "--server", server.uri(), "--token", admin, "--sign-with", fx.key("root"),
                "--expect-online-keys", printed, "--out", fx.repo));

        // the board walks to root 2 and takes releases signed with the new online keys
        ok(publish("1.2.0", fx.key("targets")));
        assertThat(installs("1.2.0").path("trustedRootVersion").asLong()).isEqualTo(2);

        // the core TUF client the agent uses: a timestamp signed by the stolen key is refused under root 2
        byte[] current = get("/tuf/metadata/timestamp.json");
        TrustedMetadataSet trusted = new TrustedMetadataSet(Files.readAllBytes(fx.repo.resolve("1.root.json")), clock.instant());
        trusted.updateRoot(Files.readAllBytes(fx.repo.resolve("2.root.json")));
        Metadata<Timestamp> ts = Metadata.fromBytes(current, Timestamp.class);
        Metadata<Timestamp> forged = Metadata.of(new Timestamp(ts.signed().specVersion(), ts.signed().version() + 1,
                ts.signed().expires(), ts.signed().snapshotMeta(), ts.signed().unrecognized()))
                .sign(KeyFiles.loadSigner(compromised.resolve("timestamp.pem")));
        assertThatThrownBy(() -> trusted.updateTimestamp(forged.toBytes())).isInstanceOf(RepositoryError.class)
                .hasMessageContaining("timestamp");
        assertThat(trusted.updateTimestamp(current).signed().version()).isEqualTo(ts.signed().version());
        Root root2 = trusted.root().signed();
        assertThat(root2.role("timestamp").keyids()).doesNotContain(oldTimestampKey);
    }

    // ---- helpers ----

    /** The server's current targets, through timestamp and snapshot as a client reads them. */
    static final class ServerTargets {
        static Targets current(HttpClient http, java.net.URI server) throws Exception {
            byte[] ts = body(http, server.resolve("/tuf/metadata/timestamp.json"));
            long snap = Metadata.fromBytes(ts, Timestamp.class).signed().snapshotMeta().version();
            var snapshot = Metadata.fromBytes(body(http, server.resolve("/tuf/metadata/" + snap + ".snapshot.json")),
                    dev.flotilla.core.tuf.Snapshot.class).signed();
            long v = snapshot.meta().get("targets.json").version();
            return Metadata.fromBytes(body(http, server.resolve("/tuf/metadata/" + v + ".targets.json")), Targets.class)
                    .signed();
        }

        private static byte[] body(HttpClient http, java.net.URI uri) throws Exception {
            return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        }
    }

    private String onlineKeyIdsLine() {
        var ids = CanonicalJson.mapper().createObjectNode();
        server.onlineKeys().publicKeys().forEach((role, key) -> ids.put(role, key.keyId()));
        return ids.toString();
    }

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
                "--version", version, "--hardware", "board-r", "--targets-key", targetsKey, "--no-progress");
    }

    private void deploy(String target) throws Exception {
        json("POST", "/api/v1/deployments", "{\"target\":\"" + target + "\",\"deviceId\":\"" + deviceId + "\"}");
    }

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

    private byte[] get(String path) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private JsonNode json(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body())).isBetween(200, 299);
        return CanonicalJson.parse(r.body());
    }
}
