package dev.flotilla.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.StartupException;
import dev.flotilla.sim.SimulatedDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code flotilla demo}: an embedded server and a few simulated devices in temporary folders. A release is
 * signed offline, published, verified and installed by every device, trial-booted and committed; then a
 * release whose image crashes on boot is rolled back by each device on its own. Runs until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a server and simulated devices, and watch a good and a bad release roll out.")
public final class DemoCommand extends ToolCommand {
    private static final String HARDWARE = "demo-board";
    private static final String GROUP = "demo";

    @Option(names = "--devices", defaultValue = "3", description = "Simulated devices (default: ${DEFAULT-VALUE}).")
    int deviceCount;

    @Option(names = "--port", defaultValue = "8080", description = "Server port; when another process holds it, a free one (said so) (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--exit", description = "Stop after the story instead of running until Ctrl-C.")
    boolean exitWhenDone;

    @Override
    protected int execute() throws Exception {
        PrintWriter out = out();
        if (deviceCount < 1 || deviceCount > 50) {
            return fail("--devices must be between 1 and 50");
        }
        Path home = Files.createTempDirectory("flotilla-demo-");
        say(out, "Flotilla demo in " + home);
        try (Server server = startServer(home.resolve("server"), out)) {
            String admin = server.initialAdminToken().orElseThrow();
            say(out, "1. Server running at " + server.uri() + " (H2 database and artifacts in " + home.resolve("server") + ")");
            Operator op = new Operator(server.uri(), admin, Files.createDirectories(home.resolve("operator-keys")));
            op.createTrust();
            say(out, "2. Offline root and targets keys made; the root (with the server's online snapshot, timestamp"
                    + " and director keys) signed offline and uploaded");
            Path root = home.resolve("root.json");
            Files.write(root, op.trustedRoot());
            String enroll = op.enrollmentToken(deviceCount);

            List<SimulatedDevice> devices = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 1; i <= deviceCount; i++) {
                Path dir = home.resolve("device-" + i);
                SimulatedDevice.provision(dir, server.uri(), enroll, root, HARDWARE, "1.0.0", 256 * 1024);
                String name = "device-" + i;
                SimulatedDevice d = new SimulatedDevice(dir, new DirectorAssignmentAdapter(Clock.systemUTC()), line -> { });
                devices.add(d);
                Thread t = Thread.ofPlatform().name(name).daemon(true).start(() -> runDevice(d, out, name));
                threads.add(t);
            }
            Map<String, String> names = awaitEnrolled(op, deviceCount);
            for (String id : names.keySet()) {
                op.setGroup(id, GROUP);
            }
            say(out, "3. " + deviceCount + " simulated devices booted factory firmware 1.0.0, made their own keys and"
                    + " enrolled: " + String.join(", ", names.values()));

            Narrator narrator = new Narrator(op, out, names);
            Path good = home.resolve("firmware-1.1.0.img");
            TestImage.write(good, TestImage.Behaviour.BOOT_OK, "1.1.0", 512 * 1024);
            String goodTarget = op.publish(good, "1.1.0", HARDWARE);
            say(out, "4. Release 1.1.0 signed with the offline targets key and published; deploying to group '" + GROUP + "'");
            String dep1 = op.deployToGroup(goodTarget, GROUP);
            Map<String, String> r1 = narrator.followUntil(dep1, List.of("committed", "rolled_back", "failed"),
                    Duration.ofMinutes(3));
            say(out, "   => " + summary(r1, names));

            Path bad = home.resolve("firmware-1.2.0.img");
            TestImage.write(bad, TestImage.Behaviour.CRASH_ON_BOOT, "1.2.0", 512 * 1024);
            String badTarget = op.publish(bad, "1.2.0", HARDWARE);
            say(out, "5. Release 1.2.0 published, but its image crashes on boot; deploying to group '" + GROUP + "'");
            String dep2 = op.deployToGroup(badTarget, GROUP);
            Map<String, String> r2 = narrator.followUntil(dep2, List.of("committed", "rolled_back", "failed"),
                    Duration.ofMinutes(3));
            say(out, "   => " + summary(r2, names));
            say(out, "6. Done. Server: " + server.uri() + "  (admin token: " + admin + ")");
            say(out, "   Try: curl -H 'Authorization: Bearer " + admin + "' " + server.uri().resolve("/api/v1/devices"));
            say(out, "   Dashboard: " + server.uri().resolve("/ui") + "  (sign in with the admin token)");

            if (!exitWhenDone) {
                say(out, "   Running until Ctrl-C.");
                CountDownLatch forever = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    devices.forEach(SimulatedDevice::stop);
                    server.stop();
                    say(out, "Stopped. The demo's files stay in " + home);
                    forever.countDown();
                }));
                forever.await();
            }
            devices.forEach(SimulatedDevice::stop);
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(10));
            }
            boolean ok = r1.size() == deviceCount && r1.values().stream().allMatch("committed"::equals)
                    && r2.size() == deviceCount && r2.values().stream().allMatch("rolled_back"::equals);
            return ok ? 0 : fail("the story did not end as expected: " + r1 + " then " + r2);
        }
    }

    /** Starts the demo's server on --port, or on a free port (said so) when another process holds that one. */
    Server startServer(Path data, PrintWriter out) {
        ServerConfig config = ServerConfig.defaults().withDataDir(data).withHost("127.0.0.1").withPort(port)
                .withPollInterval(Duration.ofSeconds(2));
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

    private static void runDevice(SimulatedDevice d, PrintWriter out, String name) {
        try {
            d.run();
        } catch (Exception e) {
            say(out, "  [" + name + "] stopped: " + e.getMessage());
        }
    }

    private static Map<String, String> awaitEnrolled(Operator op, int count) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (Instant.now().isBefore(deadline)) {
            List<JsonNode> devices = op.devices();
            if (devices.size() >= count) {
                Map<String, String> names = new LinkedHashMap<>();
                int i = 1;
                for (JsonNode d : devices) {
                    names.put(d.path("id").asText(), "device-" + i++ + " " + d.path("id").asText().substring(0, 8));
                }
                return names;
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException("devices did not enroll within 2 minutes");
    }

    private static String summary(Map<String, String> ended, Map<String, String> names) {
        Map<String, Long> counts = new LinkedHashMap<>();
        ended.values().forEach(v -> counts.merge(v, 1L, Long::sum));
        long missing = names.size() - ended.size();
        return counts + (missing > 0 ? " and " + missing + " without a final report" : "");
    }

    private static void say(PrintWriter out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
