package dev.flotilla.cli.trust;

import com.sun.net.httpserver.HttpServer;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.repo.RoleKeys;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code trust status}, {@code trust rotate --server} and {@code release refresh}: their refusals and options. */
class ServerTrustCommandsTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:trustcli" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp).generate("ed25519", "root1", "root2", "targets", "other");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CliRun init() {
        return CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--root-key", fx.pub("root1"),
                "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1"));
    }

    private CliRun initWith(URI url, Object... trustOption) {
        Object[] base = {"trust", "init", "--server", url, "--token", admin, "--root-key", fx.pub("root1"),
                "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1")};
        Object[] all = new Object[base.length + trustOption.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(trustOption, 0, all, base.length, trustOption.length);
        return CliRun.of(all);
    }

    /** The online key ids of {@code keys} as the expected-keys file ({@code flotilla server} prints this line). */
    private Path expectedFile(String name, java.util.Map<String, dev.flotilla.core.tuf.Key> keys) throws Exception {
        var ids = CanonicalJson.mapper().createObjectNode();
        keys.forEach((role, key) -> ids.put(role, key.keyId()));
        return Files.writeString(tmp.resolve(name), ids.toString());
    }

    private boolean rootUploaded() throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        server.uri().resolve("/tuf/metadata/root.json")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    }

    @Test
    void trustInitTakesTheServersOnlineKeysOnlyWhenExpectedOrAccepted() throws Exception {
        var real = server.onlineKeys().publicKeys();
        CliRun unchecked = initWith(server.uri());
        assertOneLineError(unchecked, "--expect-online-keys FILE");
        assertThat(unchecked.out()).contains("server's online keys: snapshot " + real.get("snapshot").keyId(),
                "director " + real.get("director").keyId());
        assertThat(rootUploaded()).isFalse();

        // a man in the middle at set-up answers with keys of its own
        var evil = dev.flotilla.server.trust.OnlineKeys.loadOrCreate(tmp.resolve("evil")).publicKeys();
        var evilAnswer = CanonicalJson.mapper().createObjectNode();
        evil.forEach((role, key) -> evilAnswer.putObject(role).put("keyid", real.get(role).keyId()).set("key", key.toJson()));
        HttpServer mitm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        mitm.createContext("/", ex -> {
            byte[] body = ex.getRequestURI().getPath().equals("/api/v1/trust/online-keys")
                    ? evilAnswer.toString().getBytes() : new byte[0];
            ex.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        mitm.start();
        Path expected = expectedFile("online-keys.json", real);
        try {
            CliRun refused = initWith(URI.create("http://127.0.0.1:" + mitm.getAddress().getPort()),
                    "--expect-online-keys", expected);
            assertOneLineError(refused, "not the expected ones");
            assertThat(refused.out()).as("the ids are computed from the keys, not taken from the labels")
                    .contains("snapshot " + evil.get("snapshot").keyId());
        } finally {
            mitm.stop(0);
        }
        assertOneLineError(initWith(server.uri(), "--expect-online-keys", expectedFile("evil.json", evil)),
                "not the expected ones");
        assertThat(rootUploaded()).isFalse();

        CliRun ok = initWith(server.uri(), "--expect-online-keys", expected);
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("uploaded root version 1");
        assertThat(rootUploaded()).isTrue();
    }

    private CliRun refresh(Object... more) {
        Object[] base = {"release", "refresh", "--server", server.uri(), "--token", admin};
        Object[] all = new Object[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return CliRun.of(all);
    }

    @Test
    void statusShowsTheRootAndTargetsOnceTheyExist() throws Exception {
        CliRun empty = CliRun.of("trust", "status", "--server", server.uri(), "--token", admin);
        assertThat(empty.exitCode()).as(empty.err()).isZero();
        assertThat(empty.out()).contains("root     none yet").contains("targets  none yet").contains("no expiry warnings");
        assertThat(init().exitCode()).isZero();
        CliRun after = CliRun.of("trust", "status", "--server", server.uri(), "--token", admin);
        assertThat(after.out()).containsPattern("root     version 1, expires 20\\d\\d-").contains("targets  none yet");
        assertThat(after.err()).isEmpty();
    }

    @Test
    void refreshRefusesBadInputWithOneLineAndRenewsTheExpiryAsAsked() throws Exception {
        assertOneLineError(refresh("--targets-key", fx.key("targets")), "no targets metadata yet");
        assertThat(init().exitCode()).isZero();
        assertOneLineError(refresh("--targets-key", fx.key("targets")), "no targets metadata yet");
        Path image = tmp.resolve("fw.bin");
        byte[] bytes = new byte[500];
        new Random(3).nextBytes(bytes);
        Files.write(image, bytes);
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "1.0.0", "--hardware", "b", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();

        assertOneLineError(refresh("--targets-key", fx.key("other")), "refusing to sign on top of it");
        assertOneLineError(refresh("--targets-key", fx.key("other"), "--previous-targets-key", fx.pub("targets")),
                "unsigned_metadata");
        assertOneLineError(refresh("--targets-key", fx.key("targets"), "--expires-in", "0d"), "--expires-in");
        assertOneLineError(refresh("--targets-key", fx.key("targets"), "--expires-in", "4000d"), "at most 3650d");
        assertOneLineError(CliRun.of("release", "refresh", "--server", "", "--token", "", "--targets-key",
                fx.key("targets")), "no server: pass --server URL, set FLOTILLA_SERVER, or save one with 'flotilla login");

        Instant before = Instant.now();
        CliRun ok = refresh("--targets-key", fx.key("targets"), "--expires-in", "36h");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("re-signed targets version 2 (1 targets)");
        // 36 hours is within the 30-day warning window: the command says so on stderr, in one line
        assertThat(ok.err().strip().lines().toList()).hasSize(1).first().asString()
                .startsWith("flotilla: warning: targets version 2 expires").contains("in 35 hours");
        Instant expires = Instant.parse(ok.out().substring(ok.out().indexOf("expires ") + 8).strip());
        assertThat(Duration.between(before, expires)).isBetween(Duration.ofHours(36).minusSeconds(2),
                Duration.ofHours(36).plusSeconds(60));
    }

    @Test
    void rotateWithServerRefusesConflictingOptionsAndANonRoot() {
        assertOneLineError(CliRun.of("trust", "rotate", "--repo", tmp.resolve("r"), "--server", server.uri(),
                "--sign-with", fx.key("root1")), "either --repo DIR or --server URL");
        assertOneLineError(CliRun.of("trust", "rotate", "--server", server.uri(), "--token", admin,
                "--sign-with", fx.key("root1")), "the server has no root yet");
        assertThat(init().exitCode()).isZero();
        assertOneLineError(CliRun.of("trust", "rotate", "--server", server.uri(), "--token", admin,
                "--snapshot-key", fx.pub("other"), "--sign-with", fx.key("root1")), "the server's");
        assertOneLineError(CliRun.of("trust", "rotate", "--server", server.uri(), "--token", admin,
                "--root-key", fx.pub("root2"), "--sign-with", fx.key("root1")), "root version 2 has 0 valid signature(s)");
        assertThat(CliRun.of("trust", "status", "--server", server.uri(), "--token", admin).out())
                .contains("root     version 1");
    }

    /** A server that serves a root listing our root key but signed by another: rotate builds nothing on it. */
    @Test
    void rotateRefusesARootTheGivenKeysNeverSigned() throws Exception {
        var online = CanonicalJson.parse(new dev.flotilla.cli.support.ServerClient(server.uri(), admin)
                .getJson("/api/v1/trust/online-keys").toString().getBytes());
        RoleKeys roots = new RoleKeys(List.of(KeyFiles.loadPublicKey(fx.pub("root1")),
                KeyFiles.loadPublicKey(fx.pub("other"))), 1);
        Metadata<Root> forged = ServerRoots.build(1, Instant.now().plus(Duration.ofDays(10)), roots,
                new RoleKeys(List.of(KeyFiles.loadPublicKey(fx.pub("other"))), 1), online)
                .sign(KeyFiles.loadSigner(fx.key("other")));
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/", ex -> {
            byte[] body = ex.getRequestURI().getPath().equals("/tuf/metadata/root.json") ? forged.toBytes() : new byte[0];
            ex.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        stub.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + stub.getAddress().getPort());
            assertOneLineError(CliRun.of("trust", "rotate", "--server", url, "--token", "t",
                    "--sign-with", fx.key("root1")), "by the given keys; refusing to build on it");
        } finally {
            stub.stop(0);
        }
    }
}
