package dev.flotilla.cli.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.cli.bench.BenchFleet;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.rollouts.Cohorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flotilla rollout ...} against a real server on loopback: a release fw-2.0.bin for board-a, ten devices
 * that run fw-1.0.bin (1.0.0) and report their installs over HTTP ({@link BenchFleet}).
 */
class RolloutCommandTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private BenchFleet fleet;

    @BeforeEach
    void start() throws Exception {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:clirollout" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        ok(CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1")));
        Path image = Files.write(tmp.resolve("fw-2.0.bin"), new byte[] {2, 0, 2, 0});
        ok(CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "2.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress"));
        fleet = BenchFleet.register(server, HttpClient.newHttpClient(), 10, "board-a", done -> { });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static CliRun ok(CliRun run) {
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    private CliRun rollout(Object... args) {
        List<Object> all = new ArrayList<>(List.of("rollout"));
        all.addAll(List.of(args));
        all.addAll(List.of("--server", server.uri(), "--token", admin));
        return CliRun.of(all.toArray());
    }

    private Path plan(String json) throws Exception {
        return Files.writeString(tmp.resolve("plan" + System.nanoTime() + ".json"), json.replace('\'', '"'));
    }

    private int stored() {
        JsonNode list = CanonicalJson.parse(ok(rollout("list", "--json")).out().getBytes(StandardCharsets.UTF_8));
        return list.path("items").size();
    }

    private static String id(CliRun created) {
        return created.out().split(" ")[1].replace(":", "");
    }

    @Test
    void aPlanFileWithAnErrorIsRefusedInOneLineNamingTheFieldAndNothingIsStored() throws Exception {
        Path shrinking = plan("{'stages': [{'percent': 50}, {'percent': 10}]}");
        CliFixture.assertOneLineError(rollout("create", "--release", "fw-2.0.bin", "--plan", shrinking),
                "invalid_plan: plan.stages[1].percent must be above the previous percent stage's 50.0");
        Path badGate = plan("{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 1.5}}}");
        CliFixture.assertOneLineError(rollout("preview", "--release", "fw-2.0.bin", "--plan", badGate),
                "plan.gates.failureRate.max");
        Path notJson = plan("{'stages': [{'percent': 100},]}");
        CliFixture.assertOneLineError(rollout("create", "--release", "fw-2.0.bin", "--plan", notJson),
                notJson + ": not JSON (line 1, column ");
        CliFixture.assertOneLineError(rollout("create", "--release", "fw-2.0.bin", "--plan", tmp.resolve("none.json")),
                "none.json: no such file or directory");
        CliFixture.assertOneLineError(rollout("create", "--release", "fw-2.0.bin", "--on-halt", "explode"),
                "invalid_policies: policies.onHalt must be 'pause' or 'revert', got 'explode'");
        CliFixture.assertOneLineError(rollout("create", "--release", "fw-9.bin"), "unknown_target");
        assertThat(stored()).isZero();
    }

    @Test
    void previewAndDryRunShowTheCohortSizesOfThePlanAndStoreNothing() throws Exception {
        Path plan = plan("{'stages': [{'percent': 10}, {'count': 5, 'approval': true}, {'percent': 100}]}");
        CliRun preview = ok(rollout("preview", "--release", "fw-2.0.bin", "--plan", plan));
        assertThat(preview.out()).contains("fw-2.0.bin: 10 device(s) selected")
                .containsPattern("1 +10% +1\n").containsPattern("2 +5 devices, approval +5\n")
                .containsPattern("3 +100% +10\n");
        CliRun dry = ok(rollout("create", "--dry-run", "--release", "fw-2.0.bin", "--plan", plan));
        assertThat(dry.out()).isEqualTo(preview.out());
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin")).out()).contains("(the server's default plan)");
        Path ramp = plan("{'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 1.5, 'increaseCriteria': {'succeeded': 3},"
                + " 'maximumPerMinute': 40}}");
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin", "--plan", ramp)).out())
                .containsPattern("1 +ramp 5/min x1.5 per 3 succeeded, max 40/min +10\n");
        CliFixture.assertOneLineError(rollout("preview", "--release", "fw-2.0.bin", "--plan", plan(
                "{'ramp': {'baseRatePerMinute': 5, 'incrementFactor': 9, 'increaseCriteria': {'notified': 3}}}")),
                "invalid_plan: plan.ramp.incrementFactor must be a number from 1.1 to 5.0");
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin", "--device", fleet.id(0) + "," + fleet.id(1),
                "--device", fleet.id(2))).out()).contains("3 device(s) selected");
        Path list = Files.writeString(tmp.resolve("devices.txt"), "# canaries\n" + fleet.id(3) + "\n\n" + fleet.id(4) + "\n");
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin", "--devices-file", list)).out())
                .contains("2 device(s) selected");
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin", "--installed-below", "1.0.0")).out())
                .contains("0 device(s) selected");
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin", "--installed-at-least", "1.0.0",
                "--hardware", "board-a", "--static")).out()).contains("10 device(s) selected");
        assertThat(ok(rollout("preview", "--release", "fw-2.0.bin", "--group", "lab")).out())
                .contains("0 device(s) selected");
        JsonNode json = CanonicalJson.parse(ok(rollout("preview", "--json", "--release", "fw-2.0.bin", "--plan", plan))
                .out().getBytes(StandardCharsets.UTF_8));
        assertThat(json.path("stageSizes").toString()).isEqualTo("[1,5,10]");
        assertThat(stored()).isZero();
    }

    @Test
    void statusShowsAHaltWithItsNumbersAndTheFunnel() throws Exception {
        Path plan = plan("{'stages': [{'percent': 50}, {'percent': 100}], 'soakSeconds': 3600,"
                + " 'gates': {'failureRate': {'max': 0.2, 'minDevices': 4}}}");
        CliRun created = ok(rollout("create", "--release", "fw-2.0.bin", "--plan", plan, "--start",
                "--max-retries", "1", "--retry-backoff-seconds", "60", "--retry-backoff-factor", "1.5"));
        assertThat(created.out()).contains("fw-2.0.bin to 10 device(s), 2 stage(s) (active)");
        String id = id(created);
        List<Integer> first = fleet.indexes(Cohorts.ranked(id, fleet.ids()).subList(0, 5));
        fleet.report(first.get(0), id, null, "installed", "committed");
        fleet.report(first.get(1), id, null, "installed", "committed");
        fleet.report(first.get(2), id, "boot_failed", "installed", "failed");
        fleet.report(first.get(3), id, "boot_failed", "installed", "failed");
        server.rollouts().evaluator().evaluate();

        CliRun status = ok(rollout("show", id));
        // the earlier name still works, answers the same, and is not listed
        assertThat(ok(rollout("status", id)).out()).isEqualTo(status.out());
        String help = CliRun.of("rollout", "--help").out();
        assertThat(help).containsPattern("\n  show +A rollout").doesNotContain("  status ");

        assertThat(status.out()).contains("state:     halted, stage 1 of 2")
                .contains("HALTED:    failureRate 0.5 > max 0.2 over 4 device(s) with a verdict (checked from 4), "
                        + "at stage 1, ")
                .contains("; 1 assignment(s) withdrawn")
                .contains("policies:  install soft, on halt pause, max retries 1, retry backoff 60 s x1.5 up to 3600 s")
                .containsPattern("STAGE +PLAN +SIZE +STATUS +PENDING +DOWNLOADING +DOWNLOADED +INSTALLING +TRIAL"
                        + " +COMMITTED +FAILED +ROLLED BACK +TIMED OUT +WITHDRAWN\n")
                .containsPattern("\n1 +50% +5 +current +0 +0 +0 +0 +0 +2 +2 +0 +0 +1\n")
                .containsPattern("\n2 +100% +10 +waiting +0 +0 +0 +0 +0 +0 +0 +0 +0 +0\n")
                .containsPattern("failureRate +0.5 +0.2 +4 +4 +FAILS")
                .contains("failures by reason:           boot_failed=2")
                .contains("failures by hardware:         board-a=2")
                .contains("failures by previous version: 1.0.0=2");
        JsonNode json = CanonicalJson.parse(ok(rollout("show", "--json", id)).out().getBytes(StandardCharsets.UTF_8));
        assertThat(json.path("halt").path("observed").asDouble()).isEqualTo(0.5);

        CliRun devices = ok(rollout("devices", id, "--state", "failed"));
        assertThat(devices.out()).containsPattern("DEVICE +STAGE +STATE +REASON +UPDATED\n")
                .containsPattern("\n" + fleet.id(first.get(2)) + " +1 +failed +boot_failed +20")
                .containsPattern("\n" + fleet.id(first.get(3)) + " +1 +failed +boot_failed +20")
                .doesNotContain(fleet.id(first.get(0))).doesNotContain("(more:");
        CliRun page = ok(rollout("devices", id, "--limit", "3"));
        assertThat(page.out().lines().count()).isEqualTo(5); // header, 3 devices, the hint
        String next = page.out().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(next).startsWith("(more: --after ");
        CliRun rest = ok(rollout("devices", id, "--after", next.substring("(more: --after ".length(), next.length() - 1)));
        assertThat(rest.out().lines().count()).as("5 admitted in stage 1, header").isEqualTo(3);
        CliFixture.assertOneLineError(rollout("devices", id, "--state", "stuck"), "state must be one of");
        assertThat(ok(rollout("list", "--state", "halted")).out()).contains(id);
        assertThat(ok(rollout("list", "--state", "active")).out()).doesNotContain(id);
        CliFixture.assertOneLineError(rollout("list", "--state", "stuck"), "state must be one of");

        assertThat(ok(rollout("resume", id)).out()).isEqualTo("rollout " + id + ": active, stage 1 of 2\n"
                + "  acknowledged 2, admitted 1\n");
        assertThat(ok(rollout("show", id)).out()).containsPattern("failureRate +0 +0.2 +2 +4 +not checked yet");
        assertThat(ok(rollout("abort", id)).out()).contains(": aborted, stage 1 of 2");
        CliFixture.assertOneLineError(rollout("resume", id), "invalid_state: rollout " + id + " is aborted");
        assertThat(ok(rollout("list")).out()).containsPattern(id + " +rollout +fw-2.0.bin +aborted +1 of 2 +10 +2 +2 ");
    }

    @Test
    void theOperatorActionsMoveARolloutThroughItsStages() throws Exception {
        Path plan = plan("{'stages': [{'count': 2}, {'count': 4, 'approval': true}, {'percent': 100}],"
                + " 'soakSeconds': 0}");
        CliRun created = ok(rollout("create", "--release", "fw-2.0.bin", "--plan", plan, "--install", "forced",
                "--window", "0 2 * * *", "--window-minutes", "90", "--window-zone", "Europe/Berlin"));
        assertThat(created.out()).contains("(created)").containsPattern("2 +4 devices, approval +4\n");
        String id = id(created);
        assertThat(ok(rollout("show", id)).out()).contains("state:     created, stage - of 3")
                .contains("install forced").contains("window '0 2 * * *' for 90 min (Europe/Berlin)");

        assertThat(ok(rollout("start", id)).out()).isEqualTo("rollout " + id
                + ": active, stage 1 of 3, stage 2 awaits approval\n  admitted 2\n");
        assertThat(ok(rollout("pause", id)).out()).contains(": paused, stage 1 of 3");
        assertThat(ok(rollout("approve", id)).out()).contains(": paused, stage 1 of 3\n  approvedStage 1\n");
        assertThat(ok(rollout("resume", id)).out()).contains(": active, stage 1 of 3\n");
        assertThat(ok(rollout("advance", id)).out()).contains(": active, stage 2 of 3\n  admitted 2\n");
        assertThat(ok(rollout("retry", id)).out()).contains(": active, stage 2 of 3\n");
        assertThat(ok(rollout("show", id)).out()).containsPattern("\n1 +2 devices +2 +done +2 ")
                .containsPattern("\n2 +4 devices, approval +4 +current +2 ").contains("gates of stage 2: none");

        CliRun second = ok(rollout("create", "--release", "fw-2.0.bin", "--supersede", "--start"));
        assertThat(ok(rollout("list", "--limit", "1")).out()).contains(id(second)).doesNotContain(id)
                .contains("(more: --offset 1)");
        assertThat(ok(rollout("list", "--limit", "1", "--offset", "1")).out()).contains(id);
        CliFixture.assertOneLineError(rollout("create", "--release", "fw-2.0.bin"), "rollout_conflict: ");
        CliFixture.assertOneLineError(rollout("show", "rol_nope"), "not_found");
        CliFixture.assertOneLineError(CliRun.of("rollout", "list", "--server", server.uri(), "--token", "wrong"),
                "unauthenticated: ");
    }
}
