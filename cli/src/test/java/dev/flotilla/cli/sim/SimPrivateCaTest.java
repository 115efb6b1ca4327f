package dev.flotilla.cli.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.Await;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.cli.demo.Operator;
import dev.flotilla.cli.support.Profile;
import dev.flotilla.cli.support.ProfileStore;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flotilla sim --server} against a real server speaking HTTPS with a certificate from a private CA made in
 * the test (a fresh server for each run, as the run sets up its trust): with the CA bundle, by option or from the
 * profile saved for that server, every client of the run (the operator's commands, the simulator's API calls, the
 * boards) trusts the server and the release updates every board; without it the run is one line before anything
 * runs. A small fleet, as the run is for the connection, not the stages. {@code flotilla sim device} (one board, a
 * process of its own) finds its CA bundle by the same rule: with it the board enrolls and checks in.
 */
class SimPrivateCaTest {
    private static final int BOARDS = 3;

    @TempDir
    static Path shared;
    static TestCa ca;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCa() throws Exception {
        ca = TestCa.create(shared.resolve("ca"));
    }

    /** A fresh server on loopback, HTTPS with the private CA's certificate, polled every second (speed 30). */
    private Server https(String name) {
        return Server.start(ServerConfig.defaults().withDataDir(dir.resolve(name)).withHost("127.0.0.1").withPort(0)
                .withPollInterval(Duration.ofSeconds(1)).withTls(ca.serverCert(), ca.serverKey()));
    }

    private List<Object> sim(Server server, Object... more) {
        List<Object> args = new ArrayList<>(List.of("sim", "--scenario", "good-release", "--devices", BOARDS,
                "--seed", 7, "--speed", 30, "--report", dir.resolve("run.json"), "--work-dir", dir.resolve("work"),
                "--timeout-minutes", 4, "--server", server.uri()));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void withTheCaBundleEveryClientOfTheRunTrustsTheServerAndTheReleaseUpdatesEveryBoard() throws Exception {
        try (Server server = https("server")) {
            String admin = server.initialAdminToken().orElseThrow();
            CliRun run = CliRun.of(sim(server, "--token", admin, "--ca-bundle", ca.caPem()).toArray());
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertUpdatedEveryBoard();
            JsonNode conf = CanonicalJson.parse(Files.readAllBytes(dir.resolve("work/boards/board-00001/agent.conf")));
            assertThat(conf.path("server").asText()).startsWith("https://127.0.0.1:");
            assertThat(conf.path("caBundle").asText()).isEqualTo(ca.caPem().toAbsolutePath().toString());
        }
    }

    @Test
    void withoutTheCaBundleTheRunIsOneLineSayingTheCertificateIsNotTrustedAndNothingRuns() {
        assumeTrue(System.getenv("FLOTILLA_CA_BUNDLE") == null, "FLOTILLA_CA_BUNDLE is set in this environment");
        try (Server server = https("server")) {
            CliRun run = CliRun.of(sim(server, "--token", server.initialAdminToken().orElseThrow()).toArray());
            CliFixture.assertOneLineError(run, "cannot connect to " + server.uri() + "/: the server's TLS certificate"
                    + " is not trusted: no path to a trusted CA; if a private CA signed it, pass that CA with"
                    + " --ca-bundle FILE or FLOTILLA_CA_BUNDLE");
            assertThat(dir.resolve("run.json")).doesNotExist();
            assertThat(dir.resolve("work/boards")).doesNotExist();
        }
    }

    /**
     * Real {@code flotilla} processes whose config folder (XDG_CONFIG_HOME) holds a profile saved for the server
     * with its token and CA bundle, and no FLOTILLA_ variable: the run takes both from it; a run against another
     * server gets neither.
     */
    @Test
    void theProfileSavedForTheServerGivesTheTokenAndTheCaBundleAndAnotherServerNeither() throws Exception {
        try (Server server = https("server")) {
            Path config = dir.resolve("xdg");
            new ProfileStore(config.resolve("flotilla")).save(new Profile(server.uri().toString(),
                    server.initialAdminToken().orElseThrow(), ca.caPem()));
            Run other = flotilla(config, "sim", "--scenario", "good-release", "--server", "http://127.0.0.1:9",
                    "--report", dir.resolve("other.json").toString());
            assertThat(other.exit()).isEqualTo(1);
            assertThat(other.err().strip()).isEqualTo("flotilla: error: no token: pass --token TOKEN, set"
                    + " FLOTILLA_TOKEN, or save one with 'flotilla login --server http://127.0.0.1:9'");
            Run run = flotilla(config, sim(server).stream().map(String::valueOf).toArray(String[]::new));
            assertThat(run.exit()).as(run.err()).isZero();
            assertUpdatedEveryBoard();
        }
    }

    /**
     * {@code flotilla sim device} processes against the HTTPS server, with no FLOTILLA_ variable: given
     * {@code --ca-bundle}, the board writes it into its {@code agent.conf}, enrolls and checks in; a board whose
     * config folder holds a profile saved for the server with its CA bundle takes it from there.
     */
    @Test
    void simDeviceWithTheCaBundleByOptionOrFromTheSavedProfileEnrollsAndChecksIn() throws Exception {
        try (Server server = https("server")) {
            Board board = board(server);
            Path byOption = dir.resolve("board-option");
            Process p1 = device(dir.resolve("xdg-none"), byOption, "--server", server.uri().toString(),
                    "--enrollment-token", board.enrollment(), "--root", board.root().toString(),
                    "--ca-bundle", ca.caPem().toString());
            Path config = dir.resolve("xdg");
            new ProfileStore(config.resolve("flotilla")).save(new Profile(server.uri().toString(), "some-admin-token",
                    ca.caPem()));
            Path bySaved = dir.resolve("board-saved");
            Process p2 = device(config, bySaved, "--server", server.uri().toString(), "--enrollment-token",
                    board.enrollment(), "--root", board.root().toString());
            try {
                Await.until(() -> board.seen(server), n -> n == 2, () -> log(byOption) + "\n" + log(bySaved));
            } finally {
                stop(p1);
                stop(p2);
            }
            for (Path b : List.of(byOption, bySaved)) {
                JsonNode conf = CanonicalJson.parse(Files.readAllBytes(b.resolve("agent.conf")));
                assertThat(conf.path("caBundle").asText()).as(b.toString())
                        .isEqualTo(ca.caPem().toAbsolutePath().toString());
            }
        }
    }

    /**
     * Without a CA bundle (none given, and the profile saved for another server, with a CA bundle, gives none), the
     * board does not trust the server and says so; a CA bundle that is not a PEM file is one line and lays out no
     * board.
     */
    @Test
    void simDeviceWithoutTheCaBundleDoesNotTrustTheServerAndABadBundleIsOneLine() throws Exception {
        try (Server server = https("server")) {
            Board board = board(server);
            Path config = dir.resolve("xdg");
            new ProfileStore(config.resolve("flotilla")).save(new Profile("http://127.0.0.1:9", "some-admin-token",
                    ca.caPem()));
            Path untrusting = dir.resolve("board-untrusting");
            Process p = device(config, untrusting, "--server", server.uri().toString(), "--enrollment-token",
                    board.enrollment(), "--root", board.root().toString());
            try {
                Await.until(() -> log(untrusting), l -> l.contains("the server's TLS certificate is not trusted"),
                        () -> "the board's log");
            } finally {
                stop(p);
            }
            assertThat(CanonicalJson.parse(Files.readAllBytes(untrusting.resolve("agent.conf"))).has("caBundle"))
                    .isFalse();
            assertThat(board.seen(server)).isZero();

            Path notPem = Files.writeString(dir.resolve("not-a-ca.pem"), "not a certificate");
            CliRun bad = CliRun.of("sim", "device", "--dir", dir.resolve("board-bad"), "--server", server.uri(),
                    "--enrollment-token", board.enrollment(), "--root", board.root(), "--ca-bundle", notPem);
            CliFixture.assertOneLineError(bad, notPem + ": not a PEM certificate bundle");
            assertThat(dir.resolve("board-bad")).doesNotExist();
        }
    }

    /** What a new board of {@code server} needs: its trusted root and an enrollment token. */
    private record Board(Path root, String enrollment, HttpClient http, String admin) {
        /** Devices of the server that checked in. */
        long seen(Server server) throws IOException, InterruptedException {
            JsonNode devices = CanonicalJson.mapper().readTree(http.send(HttpRequest.newBuilder(
                    server.uri().resolve("/api/v1/devices")).header("Authorization", "Bearer " + admin).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());
            long n = 0;
            for (JsonNode d : devices.path("items")) {
                n += d.hasNonNull("lastSeenAt") ? 1 : 0;
            }
            return n;
        }
    }

    /** Sets up the server's trust (as the simulator's operator does) and makes an enrollment token. */
    private Board board(Server server) throws Exception {
        String admin = server.initialAdminToken().orElseThrow();
        new Operator(server.uri(), admin, ca.caPem(), Files.createDirectories(dir.resolve("keys"))).createTrust();
        HttpClient http = HttpClient.newBuilder().sslContext(CaBundle.sslContext(ca.caPem())).build();
        Path root = Files.write(dir.resolve("root.json"), http.send(HttpRequest.newBuilder(
                server.uri().resolve("/tuf/metadata/1.root.json")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        JsonNode token = CanonicalJson.mapper().readTree(http.send(HttpRequest.newBuilder(
                server.uri().resolve("/api/v1/enrollment-tokens")).header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"description\":\"sim device\",\"maxUses\":5}")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        return new Board(root, token.path("secret").asText(), http, admin);
    }

    /** Starts {@code flotilla sim device --dir board ...} as a process, its output in {@code board}.log. */
    private Process device(Path config, Path board, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("sim", "device", "--dir", board.toString()));
        all.addAll(List.of(args));
        return process(config, all.toArray(String[]::new)).redirectErrorStream(true)
                .redirectOutput(Path.of(board + ".log").toFile()).start();
    }

    private static String log(Path board) throws IOException {
        Path log = Path.of(board + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Stops a board's process as SIGTERM does, and waits for it. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    private void assertUpdatedEveryBoard() throws IOException {
        JsonNode r = CanonicalJson.mapper().readTree(Files.readAllBytes(dir.resolve("run.json")));
        assertThat(r.path("settled").asBoolean()).as("the report: %s", r).isTrue();
        assertThat(r.path("updated").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("bricked").asInt()).isZero();
        assertThat(r.path("quitBoards").asInt()).isZero();
    }

    private record Run(int exit, String err) {
    }

    private Run flotilla(Path config, String... args) throws IOException, InterruptedException {
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = process(config, args).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile())
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("flotilla " + String.join(" ", args) + " did not end in 5 minutes");
        }
        return new Run(p.exitValue(), Files.readString(err));
    }

    /** A {@code flotilla} process whose config folder is {@code config}, with no FLOTILLA_ variable. */
    private ProcessBuilder process(Path config, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOTILLA_"));
        pb.environment().put("XDG_CONFIG_HOME", config.toString());
        pb.environment().put("HOME", dir.resolve("home").toString());
        return pb;
    }
}
