package dev.flotilla.cli.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.cli.support.Profile;
import dev.flotilla.cli.support.ProfileStore;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import java.io.IOException;
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
 * runs. A small fleet, as the run is for the connection, not the stages.
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
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main"));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOTILLA_"));
        pb.environment().put("XDG_CONFIG_HOME", config.toString());
        pb.environment().put("HOME", dir.resolve("home").toString());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("flotilla " + String.join(" ", args) + " did not end in 5 minutes");
        }
        return new Run(p.exitValue(), Files.readString(err));
    }
}
