package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.tuf.TargetFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The real outcome of the health checks in the signed manifest ({@code healthState}, {@code healthChecks}),
 * the checks in the rollback event, and the post-commit checks reported as {@code health_failed}: the whole
 * agent from its config file over loopback HTTP, with a health command that fails while a flag file exists.
 */
class HealthReportingTest extends AgentTestBase {

    private Path flag() {
        return dev.resolve("app-broken");
    }

    private void healthCommand(int graceSeconds, int postCommitSeconds) {
        health = """
                {"graceSeconds": %d, "postCommitSeconds": %d,
                 "commands": [{"command": ["sh", "-c", "test ! -e '%s'"], "timeoutSeconds": 5}]}"""
                .formatted(graceSeconds, postCommitSeconds, flag());
    }

    private List<JsonNode> events(String type) {
        return api.eventOrder.stream().map(api.events::get).filter(e -> e.path("type").asText().equals(type)).toList();
    }

    private static List<String> checks(JsonNode checks) {
        return java.util.stream.StreamSupport.stream(checks.spliterator(), false)
                .map(c -> c.path("name").asText() + " " + c.path("ok").asBoolean() + " " + c.path("reasonCode").asText())
                .toList();
    }

    @Test
    void theManifestCarriesTheRealHealthAndAFailureAfterTheCommitIsReportedAsHealthFailed() throws Exception {
        healthCommand(0, 3600);
        TargetFile f = publishImage();
        api.assignment = UnsignedTestDirector.assignment("dep-h", "dev-1", "fw/a.img", f, 1, false);
        AgentConfig c = config("");
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(api.manifests.getFirst().path("healthState").asText()).isEqualTo("unknown");
        assertThat(api.manifests.getFirst().path("healthChecks")).isEmpty();

        assertThat(bootloader().boot()).isInstanceOf(dev.flotilla.agent.boot.SimulatedBootloader.Outcome.Running.class);
        Agent agent = newAgent(c);
        Future<Agent.Exit> run = pool.submit(agent::run);
        awaitOrDone(run, () -> api.has("committed") && api.manifests.getLast().path("slot").asText().equals("b")
                && api.manifests.getLast().path("healthState").asText().equals("ok"));
        JsonNode healthy = api.manifests.getLast();
        assertThat(healthy.path("healthState").asText()).isEqualTo("ok");
        assertThat(checks(healthy.path("healthChecks"))).containsExactly("server-reached true OK", "sh true OK");
        // the commit's report names the checks that decided it
        assertThat(events("trial_boot").stream().map(e -> e.path("details"))
                .filter(d -> d.path("reason").asText().equals("HEALTH_CHECKS_PASSED")))
                .singleElement().satisfies(d -> assertThat(checks(d.path("checks"))).hasSize(2));

        Files.createFile(flag()); // the application breaks after the commit
        awaitOrDone(run, () -> api.has("health_failed")
                && api.manifests.getLast().path("healthState").asText().equals("failing"));
        checkIns(run, 2);
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(events("health_failed")).singleElement().satisfies(e -> {
            assertThat(e.path("details").path("deploymentId").asText()).isEqualTo("dep-h");
            assertThat(e.path("details").path("reason").asText()).isEqualTo("HEALTH_FAILED");
            assertThat(checks(e.path("details").path("checks"))).containsExactly("server-reached true OK",
                    "sh false EXIT_NONZERO");
        });
        JsonNode failing = api.manifests.getLast();
        assertThat(failing.path("healthState").asText()).isEqualTo("failing");
        assertThat(checks(failing.path("healthChecks"))).containsExactly("server-reached true OK",
                "sh false EXIT_NONZERO");
        assertThat(failing.path("slot").asText()).isEqualTo("b"); // reported, the commit stands
    }

    @Test
    void aTrialThatFailsItsChecksRollsBackWithEachChecksReasonCodeInTheReport() throws Exception {
        healthCommand(0, 0);
        Files.createFile(flag());
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 50_000);
        TargetFile f = repo.add("fw/a.img", image, "board-a", "2.0.0", 1);
        repo.publish();
        api.assignment = UnsignedTestDirector.assignment("dep-r", "dev-1", "fw/a.img", f, 1, false);
        AgentConfig c = config("");
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        bootloader().boot();
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED); // marked bad, rebooting
        JsonNode rollingBack = events("rolled_back").stream().map(e -> e.path("details"))
                .filter(d -> d.path("state").asText().equals("ROLLING_BACK")).findFirst().orElseThrow();
        assertThat(rollingBack.path("reason").asText()).isEqualTo("HEALTH_CHECK_FAILED");
        assertThat(rollingBack.path("deploymentId").asText()).isEqualTo("dep-r");
        assertThat(checks(rollingBack.path("checks"))).containsExactly("server-reached true OK", "sh false EXIT_NONZERO");
    }
}
