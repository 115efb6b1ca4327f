package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.boot.SimulatedBootloader;
import dev.flotilla.agent.boot.SimulatedEnv;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.install.RepoHttpServer;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.update.AgentListener;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.UpdateState;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.TargetFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole agent from its config file: first start, check-in, TUF-verified assignment, flaky ranged
 * download into the inactive slot, trial boot on the simulated bootloader, health checks, commit, and every
 * transition reported. HTTP is real (loopback); the device API is {@link FakeDeviceApi} because the real
 * server does not hand out assignments yet.
 */
class AgentEndToEndTest extends AgentTestBase {

    @Test
    void installsAVerifiedUpdateThroughAFlakyDownloadAndCommitsAfterTheTrialBoot() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 600_000);
        TargetFile f = repo.add("fw/board-a.img", image, "board-a", "2.0.0", 4);
        repo.publish();
        repoServer.cutAfter = 150_000; // every response breaks after 150 kB: the download resumes with Range
        api.assignment = UnsignedTestDirector.assignment("as-1", "dev-1", "fw/board-a.img", f, 1, false);
        AgentConfig c = config("");

        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(Files.exists(c.deviceKey())).isTrue();
        assertThat(repoServer.ranges).contains("bytes=150000-", "bytes=300000-", "bytes=450000-");
        assertThat(Digests.sha256Hex(Files.readAllBytes(dev.resolve("slot-b.img")))).isEqualTo(f.sha256());
        assertThat(Files.readString(dev.resolve("slot-a.img"), java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains("1.0.0"); // the running slot was never written

        assertThat(bootloader().boot()).isInstanceOf(SimulatedBootloader.Outcome.Running.class);
        assertThat(Files.readString(dev.resolve("cmdline"))).contains("flotilla.slot=b");
        runAgent(c, () -> api.has("committed") && api.manifests.getLast().path("slot").asText().equals("b"));

        assertThat(api.types()).containsSubsequence("download_started", "download_progress", "downloaded",
                "verified", "installed", "rebooting", "trial_boot", "committed");
        assertThat(api.types().stream().filter("download_progress"::equals).count()).isGreaterThanOrEqualTo(9);
        // every progress report's percent is its own done of total (one read may pass several tenths)
        List<com.fasterxml.jackson.databind.JsonNode> reports = api.events.values().stream()
                .filter(e -> e.path("type").asText().equals("download_progress")).map(e -> e.path("details"))
                .sorted(java.util.Comparator.comparingLong(d -> d.path("done").asLong())).toList();
        assertThat(reports).allSatisfy(d -> {
            assertThat(d.path("total").asLong()).isEqualTo(image.length);
            assertThat(d.path("done").asLong()).isBetween(1L, (long) image.length);
            assertThat(d.path("percent").asLong()).isEqualTo(d.path("done").asLong() * 100 / image.length);
        });
        assertThat(reports.stream().map(d -> d.path("percent").asInt()).toList())
                .containsExactly(10, 20, 30, 40, 50, 60, 70, 80, 90, 100);
        assertThat(Files.readString(c.stateDir().resolve("state/counter")).trim()).isEqualTo("4");
        // the next check-in reports the new image (the assignment, still served, is already installed)
        var m = api.manifests.getLast();
        assertThat(m.path("slot").asText()).isEqualTo("b");
        assertThat(m.path("installedTarget").asText()).isEqualTo("fw/board-a.img");
        assertThat(m.path("installedVersion").asText()).isEqualTo("2.0.0");
        assertThat(m.path("securityVersion").asLong()).isEqualTo(4);
        assertThat(m.path("bootState").asText()).isEqualTo("committed");
        // slot b holds the new image; slot a still the factory image, which the agent never wrote
        assertThat(m.path("slots").path("b").path("target").asText()).isEqualTo("fw/board-a.img");
        assertThat(m.path("slots").path("b").path("version").asText()).isEqualTo("2.0.0");
        assertThat(m.path("slots").has("a")).isFalse();
        assertThat(api.types()).doesNotContain("failed");

        // the listeners of both agent runs (before and after the reboot) saw the whole update, in order
        assertThat(transitions).containsExactly("IDLE->DOWNLOADING", "DOWNLOADING->VERIFYING",
                "VERIFYING->INSTALLING", "INSTALLING->INSTALLED", "INSTALLED->REBOOTING", "REBOOTING->TRIAL",
                "TRIAL->HEALTH_CHECK", "HEALTH_CHECK->COMMITTED", "COMMITTED->IDLE");
        // the assignment is verified again in the check-in just before the trial is armed (a withdrawal's last chance)
        assertThat(verifications).containsExactly("ASSIGNMENT as-1 true", "IMAGE as-1 true", "ASSIGNMENT as-1 true");
        assertThat(progress).allMatch(p -> p[1] == image.length);
        assertThat(progress.stream().mapToLong(p -> p[0]).toArray()).isSorted();
        assertThat(progress.getLast()[0]).isEqualTo(image.length);
        // the default listener logged progress at most once per 10% (as often as the slot writer's chunks allow)
        List<Integer> percents = log.stream().filter(l -> l.startsWith("download 2.0.0: "))
                .map(l -> Integer.parseInt(l.split(" ")[2].replace("%", ""))).toList();
        assertThat(percents).isNotEmpty().doesNotHaveDuplicates().isSorted().allMatch(p -> p % 10 == 0)
                .endsWith(100);
        assertThat(log).contains("state HEALTH_CHECK -> COMMITTED (HEALTH_CHECKS_PASSED)");
    }

    @Test
    void anImageThatCrashesOnBootEndsRolledBackOnTheOldSlot() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.CRASH_ON_BOOT, "2.0.0", 100_000);
        TargetFile f = repo.add("fw/bad.img", image, "board-a", "2.0.0", 1);
        repo.publish();
        api.assignment = UnsignedTestDirector.assignment("as-2", "dev-1", "fw/bad.img", f, 1, false);
        AgentConfig c = config("");
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        api.assignment = null; // the operator cancels after the failure is reported
        SimulatedBootloader.Outcome.Running r = bootloader().bootUntilRunning(5);
        assertThat(r.slot()).isEqualTo("a");
        runAgent(c, () -> api.has("rolled_back"));
        assertThat(api.events.values().stream().filter(e -> e.path("type").asText().equals("rolled_back"))
                .map(e -> e.path("details").path("reason").asText())).contains("BOOT_FAILED");
        assertThat(Files.exists(c.stateDir().resolve("state/counter"))
                ? Files.readString(c.stateDir().resolve("state/counter")).trim() : "0").isEqualTo("0");
    }


    @Test
    void anUpdateThatRolledBackWhileTheServerWasDownIsNotInstalledAgainButARetryWithAHigherCounterIs()
            throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.CRASH_ON_BOOT, "2.0.0", 100_000);
        TargetFile f = repo.add("fw/bad.img", image, "board-a", "2.0.0", 1);
        repo.publish();
        api.assignment = UnsignedTestDirector.assignment("dep-1", "dev-1", "fw/bad.img", f, 1, false);
        AgentConfig c = config("");
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);

        // the server goes down; the image crashes, the bootloader falls back; the agent finds the rollback,
        // cannot report it, and is killed
        api.down = true;
        assertThat(bootloader().bootUntilRunning(5).slot()).isEqualTo("a");
        runAgent(c, () -> transitions.contains("ROLLED_BACK->IDLE")
                && log.stream().anyMatch(l -> l.startsWith("server unreachable")));
        assertThat(transitions).endsWith("REBOOTING->ROLLED_BACK", "ROLLED_BACK->IDLE");
        assertThat(api.has("rolled_back")).isFalse();

        // a new agent process on the same files; the server answers check-ins again (with the same
        // assignment, counter 1) but not reports: the agent checks in and starts nothing
        api.down = false;
        api.eventsStatus = 503;
        Agent agent = newAgent(c);
        Future<Agent.Exit> run = pool.submit(agent::run);
        checkIns(run, 3);
        assertThat(started()).isEqualTo(1);
        assertThat(log).anyMatch(l -> l.startsWith("not taking a new assignment: ") && l.contains("not delivered"));
        // not even a retry with a higher counter while the server has not heard how the last update ended
        api.assignment = UnsignedTestDirector.assignment("dep-1", "dev-1", "fw/bad.img", f, 2, false);
        checkIns(run, 3);
        assertThat(started()).isEqualTo(1);

        // reports get through; the server still serves counter 1: the rollback is reported, nothing installed
        api.assignment = UnsignedTestDirector.assignment("dep-1", "dev-1", "fw/bad.img", f, 1, false);
        api.eventsStatus = 0;
        awaitOrDone(run, () -> api.has("rolled_back"));
        checkIns(run, 3);
        assertThat(started()).isEqualTo(1);
        assertThat(api.events.values().stream().filter(e -> e.path("type").asText().equals("rolled_back"))
                .map(e -> e.path("details").path("reason").asText())).contains("BOOT_FAILED");
        assertThat(log).anyMatch(l -> l.startsWith("not starting assignment dep-1: counter 1 is not above 1"));
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=0");
        assertThat(run.isDone()).isFalse();

        // a retry: the same target with a higher counter is installed
        api.assignment = UnsignedTestDirector.assignment("dep-1", "dev-1", "fw/bad.img", f, 2, false);
        awaitOrDone(run, () -> false);
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(started()).isEqualTo(2);
        assertThat(api.eventOrder.stream().map(id -> api.events.get(id).path("type").asText()).toList())
                .containsSubsequence("rolled_back", "download_started", "installed", "rebooting");
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=1");
    }

    @Test
    void outsideTheMaintenanceWindowItDownloadsButWaitsToInstallUnlessForced() throws Exception {
        TargetFile f = publishImage();
        api.assignment = UnsignedTestDirector.assignment("as-3", "dev-1", "fw/a.img", f, 1, false);
        AgentConfig c = config(closedWindow());
        int before = api.checkIns.get();
        assertThat(runAgent(c, () -> api.has("verified") && api.checkIns.get() > before + 3))
                .isEqualTo(Agent.Exit.STOPPED);
        assertThat(api.has("installed")).isFalse();
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=0");
        assertThat(Files.readString(c.stateDir().resolve("state/state.json"))).contains("INSTALLING");
    }

    @Test
    void reportsTheServerRejectedForGoodAreCountedInTheSignedManifest() throws Exception {
        TargetFile f = publishImage();
        api.assignment = UnsignedTestDirector.assignment("as-9", "dev-1", "fw/a.img", f, 1, false);
        api.eventsStatus = 400; // every report refused for good: dropped and counted, none blocks the queue
        AgentConfig c = config(closedWindow());

        assertThat(runAgent(c, () -> api.manifests.stream().anyMatch(m -> m.path("droppedReports").asLong() >= 2)))
                .isEqualTo(Agent.Exit.STOPPED);
        assertThat(api.manifests.getFirst().path("droppedReports").asLong()).isZero();
        assertThat(api.manifests.getLast().path("droppedReports").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(log).anyMatch(l -> l.startsWith("WARN: report ") && l.contains("dropped"));
    }


    @Test
    void aSignedForcedAssignmentInstallsOutsideTheMaintenanceWindow() throws Exception {
        signedDirector = true;
        TargetFile f = publishImage();
        api.assignment = signedAssignment("dep-forced", f, true);
        AgentConfig c = config(closedWindow());
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(api.types()).containsSubsequence("verified", "installed", "rebooting");
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=1");
        assertThat(log).anyMatch(l -> l.contains("forced"));
    }

    @Test
    void aSignedUnforcedAssignmentWaitsForTheMaintenanceWindow() throws Exception {
        signedDirector = true;
        TargetFile f = publishImage();
        api.assignment = signedAssignment("dep-normal", f, false);
        AgentConfig c = config(closedWindow());
        int before = api.checkIns.get();
        assertThat(runAgent(c, () -> api.has("verified") && api.checkIns.get() > before + 3))
                .isEqualTo(Agent.Exit.STOPPED);
        assertThat(api.has("installed")).isFalse();
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=0");
    }

    @Test
    void anUnsignedForcedFlagCannotBeAddedToASignedAssignment() throws Exception {
        signedDirector = true;
        TargetFile f = publishImage();
        var promoted = signedAssignment("dep-normal", f, false);
        promoted.with("signed").put("forced", true);
        api.assignment = promoted;
        AgentConfig c = config(closedWindow());
        int before = api.checkIns.get();
        assertThat(runAgent(c, () -> api.has("failed") && api.checkIns.get() > before + 2))
                .isEqualTo(Agent.Exit.STOPPED);
        assertThat(api.has("installed")).isFalse();
        assertThat(api.events.values().iterator().next().path("details").path("reason").asText())
                .isEqualTo("DIRECTOR_SIGNATURE");
        assertThat(Files.readString(dev.resolve("bootenv"))).contains("upgrade_available=0");
    }

    @Test
    void aRefusedAssignmentIsReportedAndTheDeviceKeepsRunning() throws Exception {
        TargetFile f = publishImage();
        var tampered = UnsignedTestDirector.assignment("as-4", "dev-1", "fw/a.img", f, 1, false);
        tampered.with("hashes").put("sha256", "ab".repeat(32));
        api.assignment = tampered;
        AgentConfig c = config("");
        int before = api.checkIns.get();
        assertThat(runAgent(c, () -> api.checkIns.get() > before + 2)).isEqualTo(Agent.Exit.STOPPED);
        assertThat(api.types()).containsExactly("failed"); // reported once, de-duplicated by its event id
        assertThat(api.events.values().iterator().next().path("details").path("reason").asText())
                .isEqualTo("LENGTH_OR_HASH_MISMATCH");
        assertThat(dev.resolve("slot-b.img")).isEmptyFile(); // not a byte written
    }

    @Test
    void keepsPollingWhileTheServerIsDownOrAnswersGarbageAndRecovers() throws Exception {
        repo.publish();
        AgentConfig c = config("");
        Agent agent = new Agent(c, AgentPorts.forDevice(c), signedDirector
                ? new DirectorAssignmentAdapter(Clock.systemUTC()) : new UnsignedTestDirector(), log::add);
        agent.firstStart();
        agent.assemble();
        api.garbage = true;
        Future<Agent.Exit> run = pool.submit(agent::run);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (log.stream().filter(l -> l.startsWith("server unreachable")).count() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        api.garbage = false;
        api.down = true;
        while (log.stream().filter(l -> l.startsWith("server unreachable")).count() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        int before = api.checkIns.get();
        api.down = false;
        while (api.checkIns.get() <= before && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(log).anyMatch(l -> l.startsWith("server unreachable (2 in a row: "));
        assertThat(api.checkIns.get()).isGreaterThan(before);
    }
}
