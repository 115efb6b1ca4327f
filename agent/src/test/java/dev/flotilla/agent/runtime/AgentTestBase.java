package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.boot.SimulatedBootloader;
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
 * The agent tests' device: a simulated board on real files (two file slots, the simulated bootloader), a
 * TUF repository served over loopback HTTP and {@link FakeDeviceApi}; agents are started from a config file
 * and run on virtual threads.
 */
abstract class AgentTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    FakeDeviceApi api;
    RepoHttpServer repoServer;
    TestRepo repo;
    Path dev;
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<String> transitions = new CopyOnWriteArrayList<>();
    final List<long[]> progress = new CopyOnWriteArrayList<>();
    final List<String> verifications = new CopyOnWriteArrayList<>();
    final AgentListener listener = new AgentListener() {
        @Override
        public void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
            transitions.add(from.label() + "->" + to.label());
        }

        @Override
        public void downloadProgress(Assignment a, long done, long total) {
            progress.add(new long[] {done, total});
        }

        @Override
        public void verification(Verified what, String assignmentId, boolean passed, String detail) {
            verifications.add(what + " " + assignmentId + " " + passed);
        }
    };
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    /** The config file's {@code health} section. */
    String health = "{\"commands\": [{\"command\": [\"true\"], \"timeoutSeconds\": 5}]}";
    /** When set, the device ships a root with a director role and verifies real signed assignments. */
    boolean signedDirector;

    @BeforeEach
    void start() throws Exception {
        api = new FakeDeviceApi();
        repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
        repoServer = new RepoHttpServer(repo.dir);
        dev = layOut(dir.resolve("device"));
    }

    /** Lays out a board in {@code board}: slot A holds a good 1.0.0, slot B is empty, the environment boots A. */
    static Path layOut(Path board) throws java.io.IOException {
        return SimulatedBoard.layOut(board, "1.0.0", 4096).dir();
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        api.close();
        repoServer.close();
    }

    /**
     * Writes the device's config (the board's parts, this test's {@link #health}, a one-second poll, and
     * {@code extra}: more members, each after a comma) and parses it.
     */
    AgentConfig config(String extra) throws Exception {
        SimulatedBoard board = SimulatedBoard.at(dev);
        Files.write(board.trustedRoot(), signedDirector ? repo.rootWithDirectorBytes() : repo.rootBytes());
        ObjectNode c = board.config(api.uri(), "fle_test", "board-a", "1.0.0", 2);
        c.setAll((ObjectNode) JSON.readTree("""
                { "metadataUrl": "%s", "targetsUrl": "%s", "health": %s,
                  "poll": {"intervalSeconds": 1, "jitter": 0.1, "minBackoffSeconds": 1, "maxBackoffSeconds": 2} %s }
                """.formatted(repoServer.metadataUrl(), repoServer.targetsUrl(), health, extra)));
        return AgentConfigParser.parse(board.writeConfig(c), Map.of());
    }

    /** A new agent process on the device's files (a boot of the device, or a restart after a kill), started. */
    Agent newAgent(AgentConfig c) throws Exception {
        Agent agent = new Agent(c, AgentPorts.forDevice(c), signedDirector
                ? new DirectorAssignmentAdapter(Clock.systemUTC()) : new UnsignedTestDirector(), log::add,
                List.of(listener));
        agent.firstStart();
        agent.assemble();
        return agent;
    }

    /** Runs an agent (one "boot" of the device) until it asks for a reboot or {@code done} holds. */
    Agent.Exit runAgent(AgentConfig c, BooleanSupplier done) throws Exception {
        Agent agent = newAgent(c);
        Future<Agent.Exit> f = pool.submit(agent::run);
        awaitOrDone(f, done);
        agent.stop();
        return f.get();
    }

    /** Waits (at most 60 s) until {@code run} ended or {@code done} holds. */
    static void awaitOrDone(Future<?> run, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!run.isDone() && !done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    SimulatedBootloader bootloader() {
        return SimulatedBoard.at(dev).bootloader();
    }

    long started() {
        return transitions.stream().filter("IDLE->DOWNLOADING"::equals).count();
    }

    /** Waits until the device checked in {@code n} more times (or the agent ended). */
    void checkIns(Future<?> run, int n) throws InterruptedException {
        int before = api.checkIns.get();
        awaitOrDone(run, () -> api.checkIns.get() >= before + n);
        assertThat(run.isDone()).as("the agent ended (it installed something and asked for a reboot)").isFalse();
        assertThat(api.checkIns.get()).isGreaterThanOrEqualTo(before + n);
    }

    /** Publishes a small bootable image {@code fw/a.img} (version 2.0.0, securityVersion 1) for board-a. */
    TargetFile publishImage() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 50_000);
        TargetFile f = repo.add("fw/a.img", image, "board-a", "2.0.0", 1);
        repo.publish();
        return f;
    }

    /** A one-minute maintenance window twelve hours from now: closed for the whole test. */
    static String closedWindow() {
        java.time.LocalTime t = java.time.LocalTime.now(java.time.ZoneOffset.UTC).plusHours(12);
        String window = "%02d:%02d-%02d:%02d".formatted(t.getHour(), t.getMinute(), t.plusMinutes(1).getHour(),
                t.plusMinutes(1).getMinute());
        return ", \"maintenance\": {\"timezone\": \"UTC\", \"windows\": [\"" + window + "\"]}";
    }

    /**
     * A director assignment of {@code fw/a.img} for dev-1 with this counter, changed by {@code change} (e.g.
     * {@code a -> a.withWithdrawn(true)}), signed by the test repository's director key.
     */
    com.fasterxml.jackson.databind.node.ObjectNode signed(String id, TargetFile f, long counter,
            java.util.function.UnaryOperator<dev.flotilla.core.director.Assignment> change) {
        java.time.Instant now = java.time.Instant.now();
        return change.apply(new dev.flotilla.core.director.Assignment("dev-1", id, "fw/a.img", f.length(), f.hashes(),
                counter, now, now.plus(Duration.ofDays(1)))).sign(repo.director);
    }

    com.fasterxml.jackson.databind.node.ObjectNode signedAssignment(String id, TargetFile f, boolean forced) {
        java.time.Instant now = java.time.Instant.now();
        return new dev.flotilla.core.director.Assignment("dev-1", id, "fw/a.img", f.length(), f.hashes(), 1, now,
                now.plus(Duration.ofDays(1)), forced).sign(repo.director);
    }
}
