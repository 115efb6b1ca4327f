package dev.flotilla.cli.login;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flotilla login} and {@code logout} as a user runs them: real {@code flotilla} processes (the token
 * piped on standard input; XDG_CONFIG_HOME and HOME pointing into a temporary directory, so the real home
 * is never touched) against a real server on loopback.
 */
class LoginTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private Path config;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:login" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        config = tmp.resolve("xdg");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    record Run(int exit, String out, String err) {
    }

    /** Runs {@code flotilla ARGS} as a process with {@code stdin} piped in and the temporary config dir. */
    private Run flotilla(String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(tmp.resolve("out.txt").toFile()).redirectError(tmp.resolve("err.txt").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("FLOTILLA_"));
        env.put("XDG_CONFIG_HOME", config.toString());
        env.put("HOME", tmp.resolve("home").toString());
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("flotilla " + String.join(" ", args) + " ended").isTrue();
        return new Run(p.exitValue(), Files.readString(tmp.resolve("out.txt")), Files.readString(tmp.resolve("err.txt")));
    }

    private Path profile() {
        return config.resolve("flotilla").resolve("profile.json");
    }

    @Test
    void afterLoginCommandsNeedNoServerOrTokenAndTheProfileIsOwnerOnly() throws Exception {
        Run login = flotilla(admin + "\n", "login", "--server", server.uri().toString());
        assertThat(login.exit()).as(login.err()).isZero();
        assertThat(login.out()).contains("logged in to " + server.uri(), profile().toString());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(profile()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(profile().getParent())))
                .isEqualTo("rwx------");
        assertThat(Files.readString(profile())).contains(admin, server.uri().toString());
        assertThat(Files.exists(tmp.resolve("home"))).isFalse();

        Run created = flotilla("", "tokens", "create", "--name", "ci", "--role", "viewer", "--json");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(CanonicalJson.parse(created.out().strip().getBytes(StandardCharsets.UTF_8)).path("token")
                .path("name").asText()).isEqualTo("ci");
        Run listed = flotilla("", "tokens", "list");
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("ci", "viewer");

        Run logout = flotilla("", "logout");
        assertThat(logout.exit()).isZero();
        assertThat(profile()).doesNotExist();
        Run after = flotilla("", "tokens", "list");
        assertThat(after.exit()).isEqualTo(1);
        assertThat(after.err().strip()).startsWith("flotilla: error: no server:").contains("flotilla login")
                .doesNotContain("\n");
    }

    @Test
    void withJsonLoginAndLogoutPrintWhatTheyDidButNeverTheToken() throws Exception {
        Run login = flotilla(admin + "\n", "login", "--server", server.uri().toString(), "--json");
        assertThat(login.exit()).as(login.err()).isZero();
        JsonNode saved = CanonicalJson.parse(login.out().strip().getBytes(StandardCharsets.UTF_8));
        assertThat(saved.path("server").asText()).isEqualTo(server.uri().toString());
        assertThat(saved.path("profile").asText()).isEqualTo(profile().toString());
        assertThat(saved.path("caBundle").isNull()).isTrue();
        assertThat(login.out()).doesNotContain(admin);
        assertThat(login.err()).contains("logged in to " + server.uri());

        Run logout = flotilla("", "logout", "--json");
        assertThat(CanonicalJson.parse(logout.out().strip().getBytes(StandardCharsets.UTF_8)).path("removed")
                .asBoolean()).isTrue();
        assertThat(profile()).doesNotExist();
        Run again = flotilla("", "logout", "--json");
        assertThat(CanonicalJson.parse(again.out().strip().getBytes(StandardCharsets.UTF_8)).path("removed")
                .asBoolean()).isFalse();
    }

    @Test
    void aTokenTheServerRefusesIsReportedAndNothingIsSaved() throws Exception {
        Run login = flotilla("not-a-real-token\n", "login", "--server", server.uri().toString());
        assertThat(login.exit()).isEqualTo(1);
        assertThat(login.err().strip()).startsWith("flotilla: error: the server refused this token")
                .contains("nothing was saved").doesNotContain("\n").doesNotContain("not-a-real-token");
        assertThat(profile()).doesNotExist();

        Run empty = flotilla("", "login", "--server", server.uri().toString());
        assertThat(empty.exit()).isEqualTo(1);
        assertThat(empty.err()).startsWith("flotilla: error: no token read");
        assertThat(profile()).doesNotExist();
    }

    @Test
    void theSavedTokenGoesOnlyToTheSavedServer() throws Exception {
        assertThat(flotilla(admin + "\n", "login", "--server", server.uri().toString()).exit()).isZero();
        Run other = flotilla("", "devices", "list", "--server", "http://127.0.0.1:9");
        assertThat(other.exit()).isEqualTo(1);
        assertThat(other.err().strip()).isEqualTo("flotilla: error: no token: pass --token TOKEN, set FLOTILLA_TOKEN,"
                + " or save one with 'flotilla login --server http://127.0.0.1:9'");
    }

    @Test
    void aTokenOnTheCommandLineIsAUsageErrorWithExitCode2() throws Exception {
        Run run = flotilla("", "login", "--server", server.uri().toString(), "--token", admin);
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Unknown option", "--token");
        assertThat(profile()).doesNotExist();
    }
}
