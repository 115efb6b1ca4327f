package dev.flotilla.cli.server;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.StartupException;
import dev.flotilla.server.trust.OnlineKeySettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several servers on one database sign with the same online keys, each reading its own copy of the three key
 * files ({@code --online-keys DIR}, made once with {@code flotilla keys generate}, as docs/deployment.md says);
 * a server whose keys the trusted root does not name refuses to start with one line, unless told the keys are
 * new ({@code --new-online-keys}); a missing key file is one line too.
 */
class SharedOnlineKeysTest {
    private static EmbeddedPostgres pg;
    private static int databases;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        pg.close();
    }

    @Test
    void everyServerReadsItsCopyOfTheSameKeysAndOneWithOtherKeysRefusesToStart() throws Exception {
        String db = database();
        Path store = tmp.resolve("secret-store");
        for (String role : List.of("snapshot", "timestamp", "director")) {
            ok(CliRun.of("keys", "generate", "--type", "ed25519", "--out", store, "--name", role));
        }
        Path keysA = copyOf(store, tmp.resolve("node-a-keys"));
        Path keysB = copyOf(store, tmp.resolve("node-b-keys"));
        try (Server a = Server.start(node("a", db).withOnlineKeys(new OnlineKeySettings(keysA, false)))) {
            assertThat(tmp.resolve("a/keys")).as("keys given: none made in the data directory").doesNotExist();
            CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
            ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", a.uri(), "--token",
                    a.initialAdminToken().orElseThrow(), "--out", fx.repo, "--root-key", fx.pub("root1"),
                    "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1")));
            try (Server b = Server.start(node("b", db).withOnlineKeys(new OnlineKeySettings(keysB, false)))) {
                assertThat(b.onlineKeys().publicKeys()).isEqualTo(a.onlineKeys().publicKeys());
            }

            // a node that made its own keys (an empty data directory) would sign what devices reject: refused
            assertThatThrownBy(() -> Server.start(node("c", db)))
                    .isInstanceOfSatisfying(StartupException.class, e -> {
                        assertThat(e.reason()).isEqualTo(StartupException.Reason.ONLINE_KEYS);
                        assertThat(e.getMessage()).doesNotContain("\n").startsWith("the online keys in "
                                + tmp.resolve("c/keys") + " are not the ones devices trust: the trusted root "
                                + "(version 1) does not name this server's snapshot key ")
                                .contains(a.onlineKeys().snapshot().keyId())
                                .endsWith("; give every server the same key files");
                    });
            // keys replaced after a theft start when said so, until a root names them
            try (Server c = Server.start(node("c", db).withOnlineKeys(new OnlineKeySettings(null, true)))) {
                assertThat(c.onlineKeys().publicKeys()).isNotEqualTo(a.onlineKeys().publicKeys());
            }

            Failed refused = failed("--data", tmp.resolve("d").toString(), "--database", db,
                    "--online-keys", tmp.resolve("c/keys").toString());
            assertThat(refused.exitCode()).isEqualTo(1);
            // io.zonky's PostgreSQL runs with fsync=off, which the server warns about in a log line first
            List<String> said = refused.stderr().stream().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN .*"))
                    .toList();
            assertThat(said).hasSize(1);
            assertThat(said.getFirst()).startsWith("flotilla: error: the online keys in "
                    + tmp.resolve("c/keys") + " are not the ones devices trust: the trusted root (version 1) does "
                    + "not name this server's snapshot key ");
        }
    }

    @Test
    void aMissingKeyFileIsOneLineAndNoKeyIsMade() throws Exception {
        Path keys = tmp.resolve("keys");
        ok(CliRun.of("keys", "generate", "--type", "ed25519", "--out", keys, "--name", "snapshot"));
        ok(CliRun.of("keys", "generate", "--type", "ed25519", "--out", keys, "--name", "timestamp"));
        Failed run = failed("--data", tmp.resolve("data").toString(), "--online-keys", keys.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stderr()).containsExactly("flotilla: error: the online key file " + keys.resolve("director.pem")
                + " does not exist (the online keys directory must hold snapshot.pem, timestamp.pem and director.pem)");
        assertThat(keys.resolve("director.pem")).doesNotExist();
        assertThat(tmp.resolve("data/keys")).doesNotExist();

        Files.writeString(keys.resolve("director.pem"), "not a key\n");
        Failed bad = failed("--data", tmp.resolve("data").toString(), "--online-keys", keys.toString());
        assertThat(bad.stderr()).containsExactly("flotilla: error: cannot use the online key file "
                + keys.resolve("director.pem") + ": not a private key file (no PEM 'PRIVATE KEY' block)");
    }

    private ServerConfig node(String name, String databaseUrl) {
        return ServerConfig.defaults().withDataDir(tmp.resolve(name)).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl(databaseUrl);
    }

    private static Path copyOf(Path store, Path dir) throws Exception {
        Files.createDirectories(dir);
        for (String role : List.of("snapshot", "timestamp", "director")) {
            Files.copy(store.resolve(role + ".pem"), dir.resolve(role + ".pem"));
        }
        return dir;
    }

    private static synchronized String database() throws Exception {
        String name = "sharedkeys" + ++databases;
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return pg.getJdbcUrl("postgres", name);
    }

    private static void ok(CliRun run) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }

    private record Failed(int exitCode, List<String> stderr) {
    }

    /** {@code flotilla server ARGS} as its own process, expected to stop at start: exit code and stderr lines. */
    private static Failed failed(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main", "server",
                "--port", "0", "--host", "127.0.0.1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            List<String> err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the server should have stopped").isTrue();
            return new Failed(p.exitValue(), err);
        } finally {
            p.destroyForcibly();
        }
    }
}
