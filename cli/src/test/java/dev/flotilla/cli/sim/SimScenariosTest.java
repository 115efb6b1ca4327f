package dev.flotilla.cli.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Each scenario of {@code flotilla sim} at 70 boards (the fewest whose first stage of one board is at most 1.5%) (the real agent on each, a real server on loopback),
 * asserting the goals from the report, which judges the boards by their slot bytes and boot environment.
 */
class SimScenariosTest {
    private static final int BOARDS = 70;

    @TempDir
    Path dir;

    @Test
    void aGoodReleaseUpdatesEveryBoardWithoutHalting() throws Exception {
        JsonNode r = run("good-release");
        assertThat(r.path("updated").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("falseHalts").asInt()).isZero();
        assertThat(r.path("haltedAtStage").isNull()).isTrue();
        assertThat(r.path("versions").path("2.0.0").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("stages")).hasSize(4);
        assertThat(r.path("stages").path(3).path("status").asText()).isEqualTo("current");
        assertSafe(r);
        assertThat(r.path("load").path("checkIns").asLong()).as("the boards' requests are measured")
                .isGreaterThanOrEqualTo(BOARDS);
        assertThat(r.path("load").has("soakMinutes")).as("soak figures only in a soak").isFalse();
    }

    @Test
    void aReleaseThatCrashesOnBootHaltsAtTheFirstStageAndItsBoardsFallBack() throws Exception {
        assertHaltedAtTheFirstStage(run("bad-release"));
    }

    @Test
    void aReleaseThatFailsItsHealthCheckHaltsAtTheFirstStageAndItsBoardsRollBack() throws Exception {
        assertHaltedAtTheFirstStage(run("unhealthy-release"));
    }

    /**
     * Also the one run against a server already running ({@code --server}): started here in this process, on
     * loopback, with the poll interval speed 30 gives the boards; the run starts no server of its own.
     */
    @Test
    void aReleaseThatHangsOnBootHaltsAtTheFirstStageAndItsBoardsFallBackOnARunningServer() throws Exception {
        try (Server server = Server.start(ServerConfig.defaults().withDataDir(dir.resolve("running-server"))
                .withHost("127.0.0.1").withPort(0).withPollInterval(Duration.ofSeconds(1)))) {
            String token = server.initialAdminToken().orElseThrow();
            JsonNode r = run("hanging-release", BOARDS, "--server", server.uri(), "--token", token);
            assertHaltedAtTheFirstStage(r);
            assertThat(dir.resolve("work/server")).as("no server of the run's own").doesNotExist();
            // the server that ran the rollout is the one given: it holds the halt the report read over its API
            JsonNode rollouts = CanonicalJson.mapper().readTree(HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(server.uri().resolve("/api/v1/rollouts"))
                            .header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());
            assertThat(rollouts.path("items")).hasSize(1);
            assertThat(rollouts.path("items").path(0).path("state").asText()).isEqualTo("halted");
            assertThat(rollouts.path("items").path(0).path("policies").path("maxConcurrentDownloads").asInt())
                    .as("every scenario caps the downloads, at the fleet's size when below 500").isEqualTo(BOARDS);
            assertThat(r.path("load").path("maxConcurrentDownloads").asInt()).isEqualTo(BOARDS);
            // the boards that tried the release hung on it until the watchdog reset them, trial after trial
            try (var boards = Files.list(dir.resolve("work/boards"))) {
                long hung = 0;
                for (Path b : boards.toList()) {
                    hung += Files.readString(b.resolve("agent.log")).contains("(hang, watchdog reset)") ? 1 : 0;
                }
                assertThat(hung).isEqualTo(r.path("rolledBack").asLong()).isPositive();
            }
        }
    }

    @Test
    void aScenarioWithAServerProcessOfItsOwnIsRefusedWithServer() {
        CliRun run = CliRun.of("sim", "--scenario", "server-crash", "--server", "http://127.0.0.1:1", "--token", "t",
                "--report", dir.resolve("r.json"));
        CliFixture.assertOneLineError(run, "server-crash runs a server process of its own: it cannot run against"
                + " --server");
        assertThat(dir.resolve("r.json")).doesNotExist();
    }

    /** No token (none given, none in the environment, none saved for a server on port 1), or not an http(s) URL. */
    @Test
    void aServerWithoutATokenOrNotAnHttpUrlIsOneLine() {
        assumeTrue(System.getenv("FLOTILLA_TOKEN") == null, "FLOTILLA_TOKEN is set in this environment");
        CliRun noToken = CliRun.of("sim", "--scenario", "good-release", "--server", "http://127.0.0.1:1",
                "--report", dir.resolve("r.json"));
        CliFixture.assertOneLineError(noToken, "no token: pass --token TOKEN");
        CliRun notHttp = CliRun.of("sim", "--scenario", "good-release", "--server", "ftp://127.0.0.1:1", "--token", "t",
                "--report", dir.resolve("r.json"));
        CliFixture.assertOneLineError(notHttp, "--server: not an http(s) URL: ftp://127.0.0.1:1");
        assertThat(dir.resolve("r.json")).doesNotExist();
    }

    @Test
    void aNetworkThatBreaksDownloadsStillUpdatesEveryBoardSafely() throws Exception {
        JsonNode r = run("flaky-network");
        JsonNode f = r.path("faults");
        assertThat(f.path("brokenDownloads").asInt()).as("downloads were broken").isPositive()
                .isEqualTo(f.path("resets").asInt() + f.path("truncations").asInt());
        assertThat(f.path("network").path("reset").asDouble()).as("the scenario's own faults").isEqualTo(0.15);
        assertThat(f.path("network").path("truncate").asDouble()).isEqualTo(0.15);
        assertThat(f.path("drops").asInt() + f.path("delays").asInt()).isZero();
        assertThat(r.path("updated").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("falseHalts").asInt()).isZero();
        assertSafe(r);
    }

    /** A small fleet, as the run is for the faults, not the stages. */
    @Test
    void answersDroppedAndDelayedStillUpdateEveryBoardSafely() throws Exception {
        int boards = 20;
        JsonNode r = run("good-release", boards, "--faults", "drop=0.1,delay=0.2,delay-ms=3000");
        JsonNode f = r.path("faults");
        assertThat(f.path("network").path("drop").asDouble()).isEqualTo(0.1);
        assertThat(f.path("delayWallMillis").asLong()).as("3 s nominal at speed 30").isEqualTo(100);
        assertThat(f.path("drops").asInt()).as("answers were dropped").isPositive();
        assertThat(f.path("delays").asInt()).as("answers were delayed").isPositive();
        assertThat(f.path("brokenDownloads").asInt()).isZero();
        assertThat(r.path("falseHalts").asInt()).as("no false halt: %s", r.path("stages")).isZero();
        assertThat(r.path("updated").asInt()).isEqualTo(boards);
        assertSafe(r, boards);
    }

    @Test
    void faultsOutOfRangeOrUnknownAreOneLineAndRunNothing() {
        CliRun rate = CliRun.of("sim", "--scenario", "good-release", "--faults", "drop=2", "--report",
                dir.resolve("r.json"));
        CliFixture.assertOneLineError(rate, "--faults: drop must be a rate from 0 to 1, not '2'");
        CliRun kind = CliRun.of("sim", "--scenario", "good-release", "--faults", "jitter=0.1", "--report",
                dir.resolve("r.json"));
        CliFixture.assertOneLineError(kind, "--faults: unknown fault 'jitter' (one of: reset, truncate, drop, delay,"
                + " delay-ms)");
        assertThat(dir.resolve("r.json")).doesNotExist();
    }

    @Test
    void boardsThatLosePowerMidUpdateStillAllUpdateSafely() throws Exception {
        JsonNode r = run("power-cuts");
        assertThat(r.path("faults").path("powerCuts").asInt()).as("power was cut").isPositive();
        assertThat(r.path("updated").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("falseHalts").asInt()).isZero();
        assertSafe(r);
    }

    /** 40 boards: a server that crashes costs a restart of its process, so this one runs a smaller fleet. */
    @Test
    void aServerKilledMidRolloutLosesNoReportAndTheRolloutCompletes() throws Exception {
        int boards = 40;
        JsonNode r = run("server-crash", boards);
        assertThat(r.path("faults").path("serverCrashes").asInt()).as("the server was killed").isEqualTo(1);
        assertThat(r.path("faults").path("serverDownSeconds").asDouble()).isGreaterThanOrEqualTo(5);
        assertThat(r.path("lostReports").asInt()).isZero();
        assertThat(r.path("updated").asInt()).as("boards updated; the report: %s", r).isEqualTo(boards);
        assertThat(r.path("falseHalts").asInt()).isZero();
        assertThat(r.path("stages").path(3).path("status").asText()).isEqualTo("current");
        assertThat(r.path("stages").path(3).path("funnel").path("committed").asInt()).isPositive();
        assertSafe(r, boards);
        assertThat(Files.readString(dir.resolve("server-crash.svg"))).contains("server killed", "server back");
    }

    /** 40 boards for a minute of wall time: the server is a process of its own, as in {@code server-crash}. */
    @Test
    void aSoakKeepsTheFleetCheckingInWithoutAFailedRequestAndMeasuresIt() throws Exception {
        int boards = 40;
        JsonNode r = run("soak", boards, "--minutes", 1);
        JsonNode load = r.path("load");
        assertThat(r.path("updated").asInt()).as("the report: %s", r).isEqualTo(boards);
        assertThat(r.path("falseHalts").asInt()).isZero();
        assertSafe(r, boards);
        assertThat(load.path("soakMinutes").asInt()).isEqualTo(1);
        assertThat(r.path("wallSeconds").asDouble()).as("the fleet ran for the soak time").isGreaterThanOrEqualTo(60);
        assertThat(load.path("failedRequests").asLong()).as("the report: %s", r).isZero();
        // at speed 30 a board checks in every second: over a minute, many times each
        assertThat(load.path("checkIns").asLong()).isGreaterThan(10L * boards);
        assertThat(load.path("requests").asLong()).isGreaterThan(load.path("checkIns").asLong());
        assertThat(load.path("requestsByKind").path("checkin").asLong())
                .as("every check-in, answered or not").isGreaterThanOrEqualTo(load.path("checkIns").asLong());
        assertThat(load.path("requestsByKind").path("events").asLong()).as("the boards reported").isPositive();
        assertThat(load.path("failures").size()).as("the report: %s", r).isZero();
        assertThat(load.path("checkInsPerSecond").asDouble()).isPositive();
        assertThat(load.path("checkInP99Millis").asDouble()).isPositive()
                .isGreaterThanOrEqualTo(load.path("checkInP50Millis").asDouble())
                .isLessThanOrEqualTo(load.path("checkInMaxMillis").asDouble());
        assertThat(load.path("maxConcurrentDownloads").asInt()).isEqualTo(boards);
        assertThat(load.path("peakUpdating").asInt()).isBetween(1, boards);
        assertThat(load.path("serverPeakRssMiB").asLong()).isPositive()
                .isGreaterThanOrEqualTo(load.path("serverRssMiB").asLong());
        assertThat(Files.readString(dir.resolve("soak.json"))).contains("\"checkInP99Millis\"");
    }

    @Test
    void anUnknownScenarioIsOneLineAndRunsNothing() {
        CliRun run = CliRun.of("sim", "--scenario", "meteor-strike", "--report", dir.resolve("r.json"));
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: unknown scenario 'meteor-strike' (one of: "
                + "good-release, bad-release, unhealthy-release, hanging-release, flaky-network, power-cuts, server-crash,"
                + " soak)");
        assertThat(dir.resolve("r.json")).doesNotExist();
    }

    @Test
    void aScenarioWithoutAReportIsRefused() {
        CliRun run = CliRun.of("sim", "--scenario", "good-release", "--devices", "0");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--report FILE or --json is required");
    }

    private static void assertHaltedAtTheFirstStage(JsonNode r) {
        assertThat(r.path("haltedAtStage").asInt()).isEqualTo(1);
        assertThat(r.path("blastRadiusPercent").asDouble()).isPositive().isLessThanOrEqualTo(1.5);
        // every board that tried the release is back on the baseline by itself, and no other board has it
        assertThat(r.path("rolledBack").asInt()).isEqualTo(Math.round(r.path("blastRadiusPercent").asDouble()
                * BOARDS / 100));
        assertThat(r.path("versions").path("1.0.0").asInt()).isEqualTo(BOARDS);
        assertThat(r.path("updated").asInt()).isZero();
        assertThat(r.path("timeToHaltSeconds").asDouble()).isPositive();
        assertThat(r.path("stages").path(0).path("funnel").path("rolled_back").asInt()).isEqualTo(1);
        // boards offline from before the start until after the halt came back and did not get the release
        assertThat(r.path("offlineDevices").asInt()).isEqualTo(2); // 3% of 70
        assertThat(r.path("offlineReturned").asInt()).isEqualTo(2);
        assertThat(r.path("offlineGotRelease").asInt()).isZero();
        assertSafe(r);
    }

    private static void assertSafe(JsonNode r) {
        assertSafe(r, BOARDS);
    }

    private static void assertSafe(JsonNode r, int boards) {
        assertThat(r.path("settled").asBoolean()).isTrue();
        assertThat(r.path("devices").asInt()).isEqualTo(boards);
        assertThat(r.path("bricked").asInt()).isZero();
        assertThat(r.path("unverifiedBoots").asInt()).isZero();
        assertThat(r.path("corruptedInstalls").asInt()).isZero();
        assertThat(r.path("lostReports").asInt()).isZero();
        assertThat(r.path("quitBoards").asInt()).isZero();
        assertThat(r.path("wallSeconds").asDouble()).isPositive();
    }

    private JsonNode run(String scenario) throws Exception {
        return run(scenario, BOARDS);
    }

    private JsonNode run(String scenario, int boards, Object... more) throws Exception {
        Path report = dir.resolve(scenario + ".json");
        java.util.List<Object> args = new java.util.ArrayList<>(java.util.List.of("sim", "--scenario", scenario,
                "--devices", boards, "--seed", 7, "--speed", 30, "--report", report, "--work-dir", dir.resolve("work"),
                "--timeout-minutes", 4));
        args.addAll(java.util.List.of(more));
        CliRun run = CliRun.of(args.toArray());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(scenario + ": " + boards + " devices");
        assertThat(Files.readString(dir.resolve(scenario + ".svg"))).startsWith("<svg").contains("stage 1");
        return CanonicalJson.mapper().readTree(Files.readAllBytes(report));
    }
}
