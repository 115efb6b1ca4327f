package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.config.ConfigException;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.install.UnsignedTestDirector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on the device itself are told as such, naming the configuration key, the file and the tool, and
 * never as "server unreachable": the U-Boot environment through the real fw_printenv (libubootenv-tool)
 * on an environment image made by the real mkenvimage (u-boot-tools).
 */
class LocalFaultsTest {
    @TempDir
    Path dir;
    Path dev;
    FakeDeviceApi api;
    final List<String> log = new CopyOnWriteArrayList<>();
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void start() throws Exception {
        api = new FakeDeviceApi();
        TestRepo repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
        repo.publish();
        dev = Files.createDirectories(dir.resolve("device"));
        Files.write(dev.resolve("root.json"), repo.rootBytes());
        Files.writeString(dev.resolve("cmdline"), "flotilla.slot=a\n");
        Files.write(dev.resolve("slot-a.img"), new byte[0]);
        Files.write(dev.resolve("slot-b.img"), new byte[0]);
        Path text = Files.writeString(dev.resolve("env.txt"), "boot_slot=a\nupgrade_available=0\nbootcount=0\n");
        Process p = new ProcessBuilder("mkenvimage", "-s", "0x4000", "-o", dev.resolve("uboot.env").toString(),
                text.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
        Files.writeString(dev.resolve("fw_env.config"), dev.resolve("uboot.env") + " 0x0000 0x4000\n");
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        api.close();
    }

    private Agent agent(String fwEnvConfig, String slotB) throws Exception {
        Path conf = Files.writeString(dev.resolve("agent.conf"), """
                { "server": "%s", "stateDir": "state", "hardwareId": "board-a", "trustedRoot": "root.json",
                  "enrollmentToken": "flt_enroll_test", "slots": {"a": "slot-a.img", "b": "%s"},
                  "bootControl": {"backend": "uboot", "fwEnvConfig": "%s", "cmdline": "cmdline"},
                  "poll": {"intervalSeconds": 1, "minBackoffSeconds": 1, "maxBackoffSeconds": 1} }
                """.formatted(api.uri(), slotB, fwEnvConfig));
        AgentConfig c = AgentConfigParser.parse(conf, Map.of());
        return new Agent(c, AgentPorts.forDevice(c), new UnsignedTestDirector(), log::add);
    }

    @Test
    void aTypoInFwEnvConfigIsAConfigurationErrorAtStartNamingTheKeyTheFileTheToolAndItsExitCode() throws Exception {
        Path typo = dev.resolve("fw_env.confg");
        Agent agent = agent("fw_env.confg", "slot-b.img");
        assertThatThrownBy(agent::firstStart).isInstanceOf(ConfigException.class)
                .hasMessage("bootControl.fwEnvConfig " + typo + ": cannot read the boot environment: fw_printenv -c "
                        + typo + " exited 247: Configuration file wrong or corrupted");
        assertThat(api.logins.get()).isZero(); // refused before enrolling or logging in
        assertThat(dev.resolve("state/device.json")).doesNotExist();
    }

    @Test
    void aSlotThatDoesNotExistIsAnErrorAtStartAndIsNotCreated() throws Exception {
        Agent agent = agent("fw_env.config", "slot-b.imgg");
        assertThatThrownBy(agent::firstStart).isInstanceOf(ConfigException.class)
                .hasMessage("slots.b " + dev.resolve("slot-b.imgg") + ": does not exist (a slot is a block device or"
                        + " an existing file; the agent does not create it)");
        assertThat(dev.resolve("slot-b.imgg")).doesNotExist();
    }

    @Test
    void aBootEnvironmentThatBreaksWhileRunningIsALocalFaultNotAnUnreachableServer() throws Exception {
        Agent agent = agent("fw_env.config", "slot-b.img");
        agent.firstStart();
        agent.assemble();
        Files.delete(dev.resolve("uboot.env")); // e.g. the environment's partition went away
        int checkInsBefore = api.checkIns.get();
        Future<Agent.Exit> run = pool.submit(agent::run);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (log.stream().noneMatch(l -> l.startsWith("local fault")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(log).anyMatch(l -> l.startsWith("local fault, not the server (1 in a row: cannot build the "
                + "manifest: fw_printenv -c " + dev.resolve("fw_env.config") + " exited "));
        assertThat(log).noneMatch(l -> l.startsWith("server unreachable"));
        assertThat(api.checkIns.get()).isEqualTo(checkInsBefore); // nothing was sent
    }
}
