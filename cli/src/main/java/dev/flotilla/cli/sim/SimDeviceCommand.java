package dev.flotilla.cli.sim;

import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.sim.SimulatedDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * {@code flotilla sim device --dir D ...}: one simulated board (file slots, a U-Boot-style boot environment
 * in a file, a simulated bootloader running the test image's behaviour) running the real agent; reboots
 * restart the agent from scratch. Runs until SIGTERM. The first use lays the board out; its CA bundle for an
 * HTTPS server is found as every command finds one ({@link ServerOptions#caBundle}), and checked before anything
 * is written.
 */
@Command(name = "device", mixinStandardHelpOptions = true,
        footer = {"", "Examples:",
                "  flotilla sim device --dir board-1 --server http://127.0.0.1:8080 --enrollment-token fle_... \\",
                "      --root root.json --hardware devboard",
                "  flotilla sim device --dir board-2 --server https://flotilla.example --ca-bundle ca.pem \\",
                "      --enrollment-token fle_... --root root.json"},
        description = "Run one simulated board with the real agent until stopped.")
public final class SimDeviceCommand extends ToolCommand {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The board's files (created on first use).")
    Path dir;

    @Option(names = "--server", paramLabel = "URL", description = "Update server (first use).")
    URI server;

    @Option(names = "--enrollment-token", paramLabel = "T", description = "Enrollment token (first use).")
    String enrollmentToken;

    @Option(names = "--root", paramLabel = "FILE", description = "Trusted root shipped with the board (first use).")
    Path root;

    @Option(names = "--ca-bundle", defaultValue = "${env:FLOTILLA_CA_BUNDLE}", paramLabel = "FILE",
            description = "PEM file of CA certificates to trust for the server's HTTPS certificate instead of the"
                    + " JDK's, written into the board's agent.conf (first use; default: env FLOTILLA_CA_BUNDLE, then"
                    + " the one 'flotilla login' saved for that server).")
    Path caBundle;

    @Option(names = "--hardware", defaultValue = "sim-board", paramLabel = "H", description = "Hardware id (default: ${DEFAULT-VALUE}).")
    String hardware;

    @Option(names = "--factory-version", defaultValue = "1.0.0", paramLabel = "V",
            description = "Version of the factory image in slot A (default: ${DEFAULT-VALUE}).")
    String factoryVersion;

    @Override
    protected int execute() throws Exception {
        if (!Files.exists(dir.resolve("agent.conf"))) {
            if (server == null || enrollmentToken == null || root == null) {
                return fail("a new board needs --server, --enrollment-token and --root");
            }
            Path ca = ServerOptions.caBundle(server.toString(), caBundle);
            if (ca != null) {
                CaBundle.trustManagers(ca); // a bundle that cannot be read is one line, before the board is laid out
            }
            SimulatedDevice.provision(dir, server, enrollmentToken, root, hardware, factoryVersion, 256 * 1024, ca);
        }
        PrintWriter out = out();
        SimulatedDevice device = new SimulatedDevice(dir, new DirectorAssignmentAdapter(Clock.systemUTC()), line -> {
            synchronized (out) {
                out.println("device: " + line);
                out.flush();
            }
        });
        Thread hook = new Thread(device::stop, "flotilla-sim-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        device.run();
        return 0;
    }
}
