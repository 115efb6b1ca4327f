package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.director.Assignment;
import dev.flotilla.core.director.MaintenanceWindow;
import dev.flotilla.core.tuf.TargetFile;
import java.nio.file.Files;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout fields of signed director assignments ({@code withdrawn}, {@code downloadOnly},
 * {@code installWindow}, {@code soakSeconds}) over the agent's real code paths: config file, check-in, director signature and
 * TUF verification, the update machine, the simulated bootloader, reports over loopback HTTP.
 */
class RolloutAssignmentTest extends AgentTestBase {
    TargetFile f;

    @BeforeEach
    void signedDevice() throws Exception {
        signedDirector = true;
        f = publishImage();
    }

    private List<JsonNode> events(String type) {
        return api.eventOrder.stream().map(api.events::get).filter(e -> e.path("type").asText().equals(type)).toList();
    }

    private String state(AgentConfig c) throws Exception {
        return Files.readString(c.stateDir().resolve("state/state.json"));
    }

    /** A signed window that opens twelve hours from now for one minute: closed for the whole test. */
    private static MaintenanceWindow closedSignedWindow() {
        LocalTime t = LocalTime.now(ZoneOffset.UTC).plusHours(12);
        return new MaintenanceWindow(t.getMinute() + " " + t.getHour() + " * * *", 1, "UTC");
    }

    @Test
    void aSignedWithdrawalStopsAnAssignmentThatWaitsToInstallAndItIsNeverStartedAgain() throws Exception {
        api.assignment = signed("dep-1", f, 1, a -> a);
        AgentConfig c = config(closedWindow()); // the device's own window keeps it waiting in INSTALLING
        Agent agent = newAgent(c);
        Future<Agent.Exit> run = pool.submit(agent::run);
        awaitOrDone(run, () -> api.has("verified"));
        assertThat(state(c)).contains("INSTALLING");

        api.assignment = signed("dep-1", f, 2, a -> a.withWithdrawn(true));
        awaitOrDone(run, () -> api.has("withdrawn") && transitions.contains("WITHDRAWN->IDLE"));
        assertThat(transitions).endsWith("INSTALLING->WITHDRAWN", "WITHDRAWN->IDLE");
        assertThat(events("withdrawn")).isNotEmpty().allSatisfy(e -> {
            assertThat(e.path("details").path("deploymentId").asText()).isEqualTo("dep-1");
            assertThat(e.path("details").path("reason").asText()).isIn("WITHDRAWN", "UPDATE_WITHDRAWN");
        });
        assertThat(state(c)).contains("\"IDLE\"").contains("UPDATE_WITHDRAWN");

        // still served, the withdrawal starts nothing; nor does the original assignment, replayed
        checkIns(run, 2);
        api.assignment = signed("dep-1", f, 1, a -> a);
        awaitOrDone(run, () -> events("failed").stream()
                .anyMatch(e -> e.path("details").path("reason").asText().equals("REPLAYED")));
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(started()).isEqualTo(1);
        assertThat(api.has("installed")).isFalse();
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=0");
        assertThat(log).contains("not starting assignment dep-1: the deployment is withdrawn (counter 2)");
    }

    @Test
    void aWithdrawalDuringTheTrialDoesNotStopItsHealthChecksAndCommit() throws Exception {
        api.assignment = signed("dep-2", f, 1, a -> a);
        AgentConfig c = config("");
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);

        api.assignment = signed("dep-2", f, 2, a -> a.withWithdrawn(true)); // too late: the trial is armed
        assertThat(bootloader().boot()).isInstanceOf(dev.flotilla.agent.boot.SimulatedBootloader.Outcome.Running.class);
        runAgent(c, () -> api.has("committed") && api.checkIns.get() > 0
                && api.manifests.getLast().path("slot").asText().equals("b"));
        assertThat(transitions).contains("HEALTH_CHECK->COMMITTED", "COMMITTED->IDLE");
        assertThat(api.has("withdrawn")).isFalse();
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=0");
    }

    @Test
    void aDownloadOnlyAssignmentIsVerifiedAndWaitsUntilALaterOneOfTheSameImageLiftsTheFlag() throws Exception {
        api.assignment = signed("dep-3", f, 1, a -> a.withDownloadOnly(true));
        AgentConfig c = config("");
        Agent agent = newAgent(c);
        Future<Agent.Exit> run = pool.submit(agent::run);
        awaitOrDone(run, () -> api.has("verified"));
        checkIns(run, 3);
        assertThat(api.types()).containsSubsequence("download_started", "downloaded", "verified")
                .doesNotContain("installed");
        assertThat(state(c)).contains("INSTALLING");
        int downloads = repoServer.ranges.size();

        // another image meanwhile waits until the held one ends or is withdrawn, and changes nothing
        byte[] other = TestImage.create(TestImage.Behaviour.BOOT_OK, "3.0.0", 40_000);
        TargetFile g = repo.add("fw/b.img", other, "board-a", "3.0.0", 1);
        repo.publish();
        java.time.Instant now = java.time.Instant.now();
        api.assignment = new Assignment("dev-1", "dep-b", "fw/b.img", g.length(), g.hashes(), 2, now,
                now.plusSeconds(86_400)).sign(repo.director);
        checkIns(run, 3);
        assertThat(log).contains("not starting assignment dep-b: holding dep-3, which has not started installing; a "
                + "different image waits until it ends or is withdrawn");
        assertThat(state(c)).contains("INSTALLING").contains("dep-3");
        // the inactive slot's record still names the image in it, not the one that waits
        assertThat(Files.readString(c.stateDir().resolve("state/slots/b.json"))).contains("fw/a.img")
                .doesNotContain("fw/b.img");

        api.assignment = signed("dep-3", f, 3, a -> a); // the operator releases it
        awaitOrDone(run, () -> false);
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(transitions).containsSubsequence("INSTALLING->INSTALLING", "INSTALLING->INSTALLED");
        assertThat(repoServer.ranges).as("the image is not downloaded again").hasSize(downloads);
        assertThat(started()).isEqualTo(1);
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=1");
        assertThat(events("verified")).anyMatch(e -> e.path("details").path("reason").asText()
                .equals("ASSIGNMENT_UPDATED"));
        assertThat(Files.readString(c.stateDir().resolve("state/slots/b.json"))).contains("fw/a.img")
                .doesNotContain("fw/b.img");
    }

    @Test
    void theSignedSoakTimeReachesTheUpdateMachineWithTheAssignmentItHolds() throws Exception {
        api.assignment = signed("dep-7", f, 1, a -> a.withSoakSeconds(7200).withDownloadOnly(true));
        AgentConfig c = config("");
        Agent agent = newAgent(c);
        Future<Agent.Exit> run = pool.submit(agent::run);
        awaitOrDone(run, () -> api.has("verified"));
        checkIns(run, 1);
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(state(c)).contains("INSTALLING").contains("dep-7").contains("\"soakSeconds\":7200");
    }

    @Test
    void outsideItsSignedInstallWindowAnUnforcedAssignmentWaitsAndAForcedOneInstalls() throws Exception {
        api.assignment = signed("dep-4", f, 1, a -> a.withInstallWindow(closedSignedWindow()));
        AgentConfig c = config(""); // no window of the device's own
        Agent agent = newAgent(c);
        Future<Agent.Exit> run = pool.submit(agent::run);
        awaitOrDone(run, () -> api.has("verified"));
        checkIns(run, 3);
        assertThat(api.has("installed")).isFalse();
        assertThat(state(c)).contains("INSTALLING");

        api.assignment = signed("dep-4", f, 2, a -> a.withInstallWindow(closedSignedWindow()).withDownloadOnly(false)
                .withWithdrawn(false));
        checkIns(run, 3);
        assertThat(api.has("installed")).as("a re-signed assignment with the same window still waits").isFalse();

        api.assignment = new Assignment("dev-1", "dep-4", "fw/a.img", f.length(),
                f.hashes(), 3, java.time.Instant.now(), java.time.Instant.now().plusSeconds(86_400), true)
                .withInstallWindow(closedSignedWindow()).sign(repo.director);
        awaitOrDone(run, () -> false);
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=1");
    }

    @Test
    void insideItsSignedInstallWindowAnAssignmentInstalls() throws Exception {
        LocalTime t = LocalTime.now(ZoneOffset.UTC).minusMinutes(1);
        MaintenanceWindow open = new MaintenanceWindow(t.getMinute() + " " + t.getHour() + " * * *", 60, "UTC");
        api.assignment = signed("dep-5", f, 1, a -> a.withInstallWindow(open));
        assertThat(runAgent(config(""), () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(api.types()).containsSubsequence("verified", "installed", "rebooting");
    }

    @Test
    void aServerCannotWidenTheSignedWindowUnnoticed() throws Exception {
        var widened = signed("dep-6", f, 1, a -> a.withInstallWindow(closedSignedWindow()));
        ((com.fasterxml.jackson.databind.node.ObjectNode) widened.path("signed").path("installWindow"))
                .put("cron", "* * * * *");
        api.assignment = widened;
        int before = api.checkIns.get();
        AgentConfig c = config("");
        assertThat(runAgent(c, () -> api.has("failed") && api.checkIns.get() > before + 2))
                .isEqualTo(Agent.Exit.STOPPED);
        assertThat(events("failed").getFirst().path("details").path("reason").asText()).isEqualTo("DIRECTOR_SIGNATURE");
        assertThat(dev.resolve("slot-b.img")).isEmptyFile();
    }
}
