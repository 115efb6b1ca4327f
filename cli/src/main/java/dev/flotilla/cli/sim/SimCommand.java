package dev.flotilla.cli.sim;

import dev.flotilla.cli.demo.Operator;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.sim.Faults;
import dev.flotilla.sim.Report;
import dev.flotilla.sim.Scenario;
import dev.flotilla.sim.Simulation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code flotilla sim --scenario NAME --devices N --report FILE}: a fleet of simulated boards running the real
 * agent against a real server in this process (a child process for {@code server-crash} and {@code soak}), or
 * against one already running ({@code --server URL}), one scenario's release rolled out in stages, and a JSON
 * report of what happened to the boards (see docs/simulator.md), into {@code --report} and, with {@code --json},
 * as one line on stdout instead of the summary (the progress lines then go to stderr). {@code flotilla sim
 * device} runs one board.
 */
@Command(name = "sim", mixinStandardHelpOptions = true,
        footer = {"", "Examples:",
                "  flotilla sim --scenario bad-release --devices 200 --report report.json",
                "  flotilla sim --scenario good-release --faults drop=0.1,delay=0.2 --report report.json",
                "  flotilla sim --scenario soak --devices 1000 --minutes 10 --speed 5 --report soak.json",
                "  flotilla sim --scenario power-cuts --devices 20 --json | jq .bricked",
                "  flotilla sim --scenario good-release --server https://flotilla.example --ca-bundle ca.pem \\",
                "      --report report.json"},
        description = "Run a fleet scenario against a server of its own (or one already running, --server),"
                + " or one simulated board (sim device).",
        subcommands = {SimDeviceCommand.class})
public final class SimCommand extends ToolCommand {
    /** The JDK's property for how long (seconds) an {@code HttpClient} keeps an idle connection. */
    private static final String KEEP_ALIVE = "jdk.httpclient.keepalive.timeout";

    @Option(names = "--scenario", paramLabel = "NAME",
            description = "good-release, bad-release, unhealthy-release, hanging-release, flaky-network, power-cuts,"
                    + " server-crash or soak.")
    String scenario;

    @Option(names = "--server", paramLabel = "URL",
            description = "Run against this server, already running and without trust yet (a fresh one), instead of"
                    + " one of the run's own; its poll interval paces the boards. Not with server-crash or soak.")
    String server;

    @Option(names = "--token", defaultValue = "${env:FLOTILLA_TOKEN}", paramLabel = "TOKEN",
            description = "With --server: an admin API token (default: env FLOTILLA_TOKEN, then the token"
                    + " 'flotilla login' saved for that server).")
    String token;

    @Option(names = "--ca-bundle", defaultValue = "${env:FLOTILLA_CA_BUNDLE}", paramLabel = "FILE",
            description = "With --server: PEM file of CA certificates to trust for its HTTPS certificate instead of"
                    + " the JDK's, for every client of the run, the boards too (default: env FLOTILLA_CA_BUNDLE, then"
                    + " the one 'flotilla login' saved for that server).")
    Path caBundle;

    @Option(names = "--devices", defaultValue = "100", paramLabel = "N", description = "Simulated boards, 1 to 20000 (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the simulator's choices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--speed", defaultValue = "10", paramLabel = "X",
            description = "Poll interval, soak and stage timeout divided by X, 1 to 60 (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--report", paramLabel = "FILE",
            description = "Where the JSON report goes; the timeline (SVG) goes beside it (FILE without .json, plus .svg)."
                    + " Required unless --json.")
    Path report;

    @Mixin
    ResultJson json;

    @Option(names = "--image-kib", defaultValue = "64", paramLabel = "K", description = "Firmware image size in KiB, 1 to 65536 (default: ${DEFAULT-VALUE}).")
    int imageKib;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Keep the server's data and the boards here (default: a temporary folder, deleted after).")
    Path workDir;

    @Option(names = "--minutes", defaultValue = "10", paramLabel = "M",
            description = "soak: how long the fleet keeps checking in, from the rollout's start, 1 to 1440 minutes of wall time (default: ${DEFAULT-VALUE}).")
    int minutes;

    @Option(names = "--faults", paramLabel = "SPEC",
            description = "Network faults between the boards and the server, replacing the scenario's own:"
                    + " KIND=RATE pairs, comma-separated, a rate from 0 to 1 each (reset, truncate: downloads broken"
                    + " mid-body; drop, delay: any answer), and delay-ms=MS (nominal, divided by --speed; default"
                    + " 2000); or none. Example: reset=0.1,drop=0.05,delay=0.2,delay-ms=500.")
    String faults;

    @Option(names = "--timeout-minutes", defaultValue = "30", paramLabel = "M", description = "Give up after M minutes of wall time (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    @Override
    protected int execute() throws Exception {
        keepIdleConnectionsShort();
        if (scenario == null) {
            new CommandLine(this).usage(out());
            return 0;
        }
        Optional<Scenario> s = Scenario.named(scenario);
        if (s.isEmpty()) {
            return fail("unknown scenario '" + scenario + "' (one of: " + Scenario.names() + ")");
        }
        if (report == null && !json.given()) {
            return fail("--report FILE or --json is required with --scenario");
        }
        if (devices < 1 || devices > 20_000 || speed < 1 || speed > 60 || imageKib < 1 || imageKib > 65_536
                || timeoutMinutes < 1 || minutes < 1 || minutes > 1440) {
            return fail("out of range: --devices 1..20000, --speed 1..60, --image-kib 1..65536, --timeout-minutes >= 1,"
                    + " --minutes 1..1440");
        }
        Faults network = s.get().faults();
        if (faults != null) {
            try {
                network = Faults.parse(faults);
            } catch (IllegalArgumentException e) {
                return fail("--faults: " + e.getMessage());
            }
        }
        Simulation.Remote remote = null;
        if (server != null) {
            if (s.get().serverProcess()) {
                return fail(s.get().id() + " runs a server process of its own: it cannot run against --server");
            }
            remote = remote(ServerOptions.credentials(server, token, caBundle));
        }
        PrintWriter text = json.text(spec);
        Path home = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("flotilla-sim-");
        try {
            Simulation.Settings settings = new Simulation.Settings(s.get(), devices, seed, speed, imageKib * 1024, home,
                    Duration.ofMinutes(timeoutMinutes), minutes, remote, network);
            Simulation.Outcome outcome = new Simulation(settings, Operator::new, line -> {
                text.println("sim: " + line);
                text.flush();
            }).run();
            Report r = deliver(outcome, text);
            return r.settled() ? 0 : fail("the run did not settle within " + timeoutMinutes + " minutes (report "
                    + (report != null ? "written" : "printed") + ")");
        } finally {
            if (workDir == null) {
                deleteTree(home);
            }
        }
    }

    /**
     * The boards share one {@code HttpClient}, which keeps an idle connection 30 s unless told otherwise. Through
     * the fault proxy each connection holds three of this process's open files (the board's socket and both of the
     * proxy's), and at 10,000 boards the idle ones took all 20,000 this machine allows in a {@code flaky-network}
     * run; 5 s keeps them to what the boards use (they poll every 30 s).
     */
    private static void keepIdleConnectionsShort() {
        if (System.getProperty(KEEP_ALIVE) == null) {
            System.setProperty(KEEP_ALIVE, "5");
        }
    }

    /**
     * Writes the report and the timeline to {@code --report}, when given, and prints the report as one line of JSON
     * with {@code --json}, else its summary; returns it. An unsettled run's report is written and printed too.
     */
    private Report deliver(Simulation.Outcome outcome, PrintWriter text) throws IOException {
        Report r = outcome.report();
        if (report != null) {
            Files.createDirectories(report.toAbsolutePath().getParent());
            Files.write(report, r.json());
            Files.write(timeline(report), outcome.timelineSvg());
        }
        if (json.given()) {
            json.print(spec, CanonicalJson.parse(r.json()));
        } else {
            text.println(r.summary());
        }
        text.flush();
        return r;
    }

    /**
     * The server to run against, once it answered an operator request with these credentials, so that a server
     * that cannot be reached, a certificate not trusted or a token refused is one line before anything runs.
     */
    private static Simulation.Remote remote(ServerOptions.Credentials c) throws IOException {
        new ServerClient(c.server(), c.token(), c.caBundle()).getJson("api/v1/devices?limit=1");
        return new Simulation.Remote(c.server(), c.token(), c.caBundle());
    }

    /** The timeline beside the report: {@code run.json} gets {@code run.svg}. */
    static Path timeline(Path report) {
        String name = report.getFileName().toString();
        return report.resolveSibling((name.endsWith(".json") ? name.substring(0, name.length() - 5) : name) + ".svg");
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
