package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.install.RepoHttpServer;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Timestamp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile or broken server may answer, against the whole agent on real loopback HTTP: an absurd poll
 * interval, metadata that stops being refreshed (an indefinite freeze), a snapshot of 1 GiB declared by a
 * timestamp signed with the stolen online key, a check-in answer that never ends. None of it ends or silences
 * the agent.
 */
class HostileServerTest {
    @TempDir
    Path dir;
    FakeDeviceApi api;
    RepoHttpServer repoServer;
    TestRepo repo;
    Path dev;
    final List<String> log = new CopyOnWriteArrayList<>();
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void start() throws Exception {
        api = new FakeDeviceApi();
        dev = AgentTestBase.layOut(dir.resolve("device"));
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        api.close();
        if (repoServer != null) {
            repoServer.close();
        }
    }

    /** A repository signed now (its timestamp lives one day), served on loopback. */
    private void repo() throws Exception {
        repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
        repo.publish();
        repoServer = new RepoHttpServer(repo.dir);
    }

    private AgentConfig config() throws Exception {
        Files.write(dev.resolve("root.json"), repo.rootBytes());
        Path conf = dev.resolve("agent.conf");
        Files.writeString(conf, """
                { "server": "%s", "metadataUrl": "%s", "targetsUrl": "%s",
                  "stateDir": "state", "hardwareId": "board-a", "factoryVersion": "1.0.0", "trustedRoot": "root.json",
                  "enrollmentToken": "fle_test",
                  "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"},
                  "poll": {"intervalSeconds": 1, "jitter": 0.1, "minBackoffSeconds": 1, "maxBackoffSeconds": 2,
                           "metadataRefreshSeconds": 1},
                  "rebootCommand": ["true"] }
                """.formatted(api.uri(), repoServer.metadataUrl(), repoServer.targetsUrl()));
        return AgentConfigParser.parse(conf, Map.of());
    }

    /** The device's clock: the real time plus {@link #ahead}. */
    private static final class DeviceClock extends Clock {
        volatile Duration ahead = Duration.ZERO;

        @Override
        public Instant instant() {
            return Instant.now().plus(ahead);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    final DeviceClock deviceClock = new DeviceClock();

    private Agent started() throws Exception {
        AgentConfig c = config();
        Agent agent = new Agent(c, AgentPorts.forDevice(c).withClock(deviceClock), new UnsignedTestDirector(), log::add);
        agent.firstStart();
        agent.assemble();
        return agent;
    }

    /** Waits up to 60 s for {@code done}; true when it held. */
    private static boolean await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    @ParameterizedTest
    @ValueSource(longs = {1_000_000_000L, Long.MAX_VALUE})
    void anAbsurdPollIntervalNeitherEndsNorSilencesTheAgentForMoreThanADay(long seconds) throws Exception {
        repo();
        api.pollSeconds = seconds;
        Agent agent = started();
        Future<Agent.Exit> run = pool.submit(agent::run);

        assertThat(await(() -> api.checkIns.get() >= 1 || run.isDone())).isTrue();
        Thread.sleep(300);

        assertThat(run.isDone()).as("the loop still runs").isFalse();
        assertThat(agent.source().lastInterval()).contains(ServerClient.MAX_POLL_INTERVAL);
        agent.wakeup().wake();
        assertThat(await(() -> api.checkIns.get() >= 2)).as("checks in again when woken").isTrue();
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
    }

    @Test
    void anIdleAgentRefreshesItsMetadataAndReportsSinceWhenItIsFrozen() throws Exception {
        repo();
        Instant expires = Metadata.fromBytes(Files.readAllBytes(repo.dir.resolve("timestamp.json")), Timestamp.class)
                .signed().expires();
        Agent agent = started();
        Future<Agent.Exit> run = pool.submit(agent::run);
        assertThat(await(() -> api.checkIns.get() >= 2)).isTrue();
        assertThat(api.manifests).noneMatch(m -> m.has("metadataFrozenSince"));

        // the server stops re-signing its timestamp; two days later (by the device's clock) it has expired
        deviceClock.ahead = Duration.ofDays(2);
        boolean reported = await(() -> api.manifests.stream().anyMatch(m -> m.has("metadataFrozenSince")));

        agent.stop();
        assertThat(reported).as("a manifest says since when the metadata is frozen").isTrue();
        assertThat(api.manifests.getLast().path("metadataFrozenSince").asText()).isEqualTo(expires.toString());
        assertThat(log).anyMatch(l -> l.startsWith("TUF metadata refresh failed: EXPIRED")
                && l.endsWith("(metadata frozen since " + expires + ")"));
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
    }

    @Test
    void aSignedTimestampDeclaringAHugeSnapshotCostsALogLineAndTheAgentCarriesOn() throws Exception {
        repo();
        Agent agent = started();
        Future<Agent.Exit> run = pool.submit(agent::run);
        assertThat(await(() -> api.checkIns.get() >= 1)).isTrue();

        String snapshot = repo.writeTimestampDeclaringSnapshot(1L << 30);
        repoServer.endlessMetadata = snapshot;
        assertThat(await(() -> log.stream().anyMatch(l -> l.startsWith("TUF metadata refresh failed: TOO_LONG"))))
                .as("the refresh stopped reading: " + log).isTrue();
        int after = api.checkIns.get();
        assertThat(await(() -> api.checkIns.get() >= after + 2)).as("still checking in").isTrue();

        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(repoServer.endlessAnswers.get()).isGreaterThanOrEqualTo(1);
        assertThat(log).filteredOn(l -> l.startsWith("TUF metadata refresh failed"))
                .allMatch(l -> l.contains("TOO_LONG") && l.contains("longer than 2000000 bytes"));
    }

    /**
     * The Java options of the documented systemd unit (docs/device-integration.md): a 16 MiB heap. Without its
     * {@code -XX:TrimNativeHeapInterval}, which older Java 21 updates refuse and which does not touch the heap.
     */
    private static final String UNIT_JAVA_OPTIONS = "-Xms4m -Xmx16m -XX:+UseSerialGC -Xss256k -XX:-UsePerfData"
            + " -XX:-TieredCompilation -XX:CompileThresholdScaling=50 -Xshare:off";

    @Test
    void anAgentWithTheDocumentedUnitsHeapOf16MiBSurvivesATimestampDeclaringAGibibyteSnapshot() throws Exception {
        repo();
        repoServer.endlessMetadata = repo.writeTimestampDeclaringSnapshot(1L << 30);
        config();
        Path out = dir.resolve("agent.out");
        Process agent = startAsUnit(out, "");
        try {
            boolean refused = await(() -> !agent.isAlive() || (api.checkIns.get() >= 3 && read(out).lines()
                    .filter(l -> l.startsWith("agent: TUF metadata refresh failed:")).count() >= 2));

            assertThat(agent.isAlive()).as(read(out)).isTrue();
            assertThat(refused).as(read(out)).isTrue();
            assertThat(read(out).lines().filter(l -> l.contains("TUF metadata refresh failed")))
                    .allMatch(l -> l.contains("TOO_LONG") && l.contains("longer than 2000000 bytes"));
            assertThat(read(out)).doesNotContain("OutOfMemoryError", "Exception");
        } finally {
            agent.destroy();
            agent.waitFor();
        }
    }

    @Test
    void anEndlessCheckInAnswerCostsALogLineAndTheAgentCarriesOn() throws Exception {
        repo();
        api.endlessCheckIn = true;
        config();
        Path out = dir.resolve("agent.out");
        Path classes = dir.resolve("classes.txt");
        Process agent = startAsUnit(out, "-Xlog:class+load=info:file=" + classes);
        try {
            boolean refused = await(() -> !agent.isAlive() || (api.checkIns.get() >= 3 && read(out).lines()
                    .filter(l -> l.contains("answer to POST api/v1/device/dev-1/checkin is longer than")).count() >= 2));

            assertThat(agent.isAlive()).as(read(out)).isTrue();
            assertThat(refused).as(read(out)).isTrue();
            assertThat(read(out)).contains("longer than " + ServerClient.MAX_ANSWER_BYTES + " bytes")
                    .doesNotContain("OutOfMemoryError", "Exception");
            api.endlessCheckIn = false;
            int before = api.manifests.size();
            assertThat(await(() -> api.manifests.size() > before)).as("checks in once the server answers again")
                    .isTrue();
            // a device's own connections: never the JDK's HttpClient, and no TLS on a plain http:// server
            assertThat(read(classes)).contains("dev.flotilla.agent.net.DirectHttp ")
                    .doesNotContain("java.net.http.", "jdk.internal.net.http.", "sun.security.ssl.");
        } finally {
            agent.destroy();
            agent.waitFor();
        }
    }

    /**
     * The agent as a process of its own, with the documented unit's Java options and {@code moreOptions}; its
     * output goes to {@code out}.
     */
    private Process startAsUnit(Path out, String moreOptions) throws java.io.IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of((UNIT_JAVA_OPTIONS + " " + moreOptions).trim().split(" ")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                "--config", dev.resolve("agent.conf").toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
