package dev.flotilla.cli.demo;

import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.StartupException;
import dev.flotilla.sim.Story;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code flotilla demo}: an embedded server and a fleet of simulated boards (the real agent on each) in a
 * temporary folder. Releases are signed offline; a good one is rolled out in stages to every board, then one
 * whose image crashes on boot is halted at the first stage by its failure-rate gate while the few boards
 * that tried it fall back by themselves. The numbers come from the boards' slots and the server's rollout.
 * Runs until Ctrl-C ({@code --exit}: stops after the story).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        footer = {"", "Examples:",
                "  flotilla demo",
                "  flotilla demo --devices 50 --port 9090 --exit"},
        description = "Start a server and a fleet of simulated boards; watch a good release roll out in stages and a bad one halt.")
public final class DemoCommand extends ToolCommand {
    static final String GOOD = "1.1.0";
    static final String BAD = "1.2.0";
    private static final long POLL_SECONDS = 2;
    private static final long SOAK_SECONDS = 5;

    @Option(names = "--devices", defaultValue = "200", description = "Simulated boards, 1 to 1000 (default: ${DEFAULT-VALUE}).")
    int deviceCount;

    @Option(names = "--port", defaultValue = "8080", description = "Server port; when another process holds it, a free one (said so) (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--exit", description = "Stop after the story instead of running until Ctrl-C.")
    boolean exitWhenDone;

    @Override
    protected int execute() throws Exception {
        PrintWriter out = out();
        if (deviceCount < 1 || deviceCount > 1000) {
            return fail("--devices must be between 1 and 1000");
        }
        Path home = Files.createTempDirectory("flotilla-demo-");
        say(out, "Flotilla demo in " + home);
        long started = System.nanoTime();
        try (Server server = startServer(home.resolve("server"), out)) {
            String admin = server.initialAdminToken().orElseThrow();
            say(out, "1. Server running at " + server.uri() + " (H2 database and artifacts in " + home.resolve("server")
                    + ")");
            say(out, "   Dashboard: " + server.uri().resolve("/ui") + "  (sign in with the admin token " + admin + ")");
            say(out, "2. Offline root and targets keys, the trusted root (with the server's online keys) and the releases"
                    + " signed offline; " + deviceCount + " simulated boards started, each running the real agent (two"
                    + " slots, a U-Boot-style boot counter, health checks)");
            Map<String, TestImage.Behaviour> releases = new LinkedHashMap<>();
            releases.put(GOOD, TestImage.Behaviour.BOOT_OK);
            releases.put(BAD, TestImage.Behaviour.CRASH_ON_BOOT);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(20));
            Story.Setup setup = new Story.Setup(home, deviceCount, 1, 64 * 1024, POLL_SECONDS, 1, 0, false, releases);
            try (Story story = Story.begin(server.uri(), admin, null, server.uri(), Operator::new, setup, deadline,
                    line -> say(out, "   " + line), () -> (System.nanoTime() - started) / 1_000_000)) {
                boolean ok = tell(story, out, deadline);
                say(out, "5. Done. Server: " + server.uri() + "  (admin token: " + admin + ")");
                say(out, "   Try: curl -H 'Authorization: Bearer " + admin + "' " + server.uri().resolve("/api/v1/rollouts"));
                say(out, "   Dashboard: " + server.uri().resolve("/ui") + "  (sign in with the admin token)");
                if (!exitWhenDone) {
                    awaitCtrlC(out, home);
                }
                return ok ? 0 : fail("the story did not end as expected (see above)");
            }
        }
    }

    /** The two rollouts, told with their numbers; whether each ended as it should. */
    private boolean tell(Story story, PrintWriter out, Instant deadline) throws Exception {
        int first = Math.max(1, deviceCount / 100);
        say(out, "3. Rolling out " + GOOD + " in stages: " + first + " board(s), 10%, 50%, 100%; each stage soaks "
                + SOAK_SECONDS + " s, and the rollout halts if more than 1% of a stage fails");
        Story.Chapter good = story.rollOut(GOOD, SOAK_SECONDS, 300, deadline);
        int onGood = story.running(GOOD);
        say(out, "   => " + onGood + " of " + deviceCount + " boards run " + GOOD + " (its bytes on their slots match"
                + " the signed release)" + (good.haltedAtStage() == null ? ", no halt" : ", HALTED at stage "
                + good.haltedAtStage()));
        say(out, "4. Rolling out " + BAD + ", whose image crashes on boot, the same way (halting reverts)");
        Story.Chapter bad = story.rollOut(BAD, SOAK_SECONDS, 300, deadline);
        int tried = story.tried(BAD);
        int back = story.running(GOOD);
        say(out, "   => " + (bad.haltedAtStage() == null ? "NOT halted" : "halted at stage " + bad.haltedAtStage())
                + ": " + tried + " board(s) (" + String.format("%.1f", 100.0 * tried / deviceCount) + "% of the fleet)"
                + " tried " + BAD + ", and their boot counters fell back to " + GOOD + " by themselves; "
                + (deviceCount - tried) + " never got it; " + back + " of " + deviceCount + " boards run " + GOOD);
        return good.settled() && good.haltedAtStage() == null && onGood == deviceCount && bad.settled()
                && Integer.valueOf(1).equals(bad.haltedAtStage()) && tried <= first && back == deviceCount;
    }

    private static void awaitCtrlC(PrintWriter out, Path home) throws InterruptedException {
        say(out, "   Running until Ctrl-C.");
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            say(out, "Stopped. The demo's files stay in " + home);
            forever.countDown();
        }));
        forever.await();
    }

    /** Starts the demo's server on --port, or on a free port (said so) when another process holds that one. */
    Server startServer(Path data, PrintWriter out) {
        ServerConfig config = ServerConfig.defaults().withDataDir(data).withHost("127.0.0.1").withPort(port)
                .withPollInterval(Duration.ofSeconds(POLL_SECONDS));
        try {
            return Server.start(config);
        } catch (StartupException e) {
            if (e.reason() != StartupException.Reason.PORT_IN_USE) {
                throw e;
            }
            Server server = Server.start(config.withPort(0));
            say(out, "Port " + port + " is in use by another process; the demo server uses port " + server.port()
                    + " instead.");
            return server;
        }
    }

    private static void say(PrintWriter out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
