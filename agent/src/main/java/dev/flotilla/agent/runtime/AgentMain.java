package dev.flotilla.agent.runtime;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.config.ConfigException;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.net.AgentVersion;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.wake.MqttWake;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Runs the device agent from its configuration file: the entry point of the agent-only jar
 * ({@code java -jar flotilla-agent.jar --config FILE}) and of {@code flotilla agent --config FILE}. Reads the
 * configuration, wires the director verification and the optional MQTT wake-up, and runs until the update
 * machine asks for a reboot (exit 0 after the reboot command ran) or SIGTERM. A configuration the device
 * cannot work with (a bad file, a missing slot, an unreadable boot environment, an enrollment the server
 * refuses, e.g. for a wrong or used-up token) exits {@value #EXIT_CONFIG};
 * a device the server says is decommissioned exits {@value #EXIT_DECOMMISSIONED}: the systemd unit's
 * {@code RestartPreventExitStatus} keeps both from restarting in a loop. Errors are one line
 * {@code flotilla: error: ...} on stderr, never a stack trace.
 */
public final class AgentMain {
    /** Exit code of a failure that is not a configuration error (e.g. an unreadable state directory). */
    public static final int EXIT_FAILED = 1;
    /** Exit code of a command line that cannot be understood. */
    public static final int EXIT_USAGE = 2;
    /** Exit code when the server says this device is decommissioned (sysexits' EX_NOPERM). */
    public static final int EXIT_DECOMMISSIONED = 77;
    /** Exit code of a configuration error (sysexits' EX_CONFIG). */
    public static final int EXIT_CONFIG = 78;

    static final String USAGE = """
            Usage: flotilla-agent --config FILE
            Run the Flotilla device agent: check in, verify, install into the inactive slot, trial boot, commit.
                  --config FILE   Agent configuration (JSON with comments; see docs/device-integration.md).
              -h, --help          Show this help message and exit.
              -V, --version       Print version information and exit.
            Exit status: 0 after a requested reboot or when stopped, 1 on a failure, 2 on a bad command line,
            77 when the server says the device is decommissioned, 78 on a configuration error.""";

    private AgentMain() {
    }

    /** The agent-only jar's main method. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(main(args, out, err));
    }

    /** Parses the command line and runs the agent; returns the exit status. */
    static int main(String[] args, PrintWriter out, PrintWriter err) {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            } else if (a.equals("-V") || a.equals("--version")) {
                out.println("flotilla-agent " + AgentVersion.VALUE);
                return 0;
            } else if (a.equals("--config") && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (a.startsWith("--config=")) {
                config = Path.of(a.substring("--config=".length()));
            } else {
                return usage(err, "unknown or incomplete argument: '" + a + "'");
            }
        }
        if (config == null) {
            return usage(err, "missing required option: '--config=FILE'");
        }
        return run(config, out, err);
    }

    private static int usage(PrintWriter err, String why) {
        err.println(why);
        err.println(USAGE);
        err.flush();
        return EXIT_USAGE;
    }

    /**
     * Runs the agent with the configuration in {@code file}: log lines {@code agent: ...} on {@code out},
     * errors as one line on {@code err}.
     *
     * @return the exit status
     */
    public static int run(Path file, PrintWriter out, PrintWriter err) {
        try {
            return runAgent(file, out, err);
        } catch (ConfigException e) {
            return fail(err, e.getMessage(), EXIT_CONFIG);
        } catch (ServerClient.ServerRefusal e) {
            // the server will not take this device as configured (most often the enrollment token): restarting
            // cannot help until someone changes the configuration, so it is a configuration error
            return fail(err, "enrollment: " + e.getMessage() + " (check enrollmentToken in " + file + ")", EXIT_CONFIG);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return fail(err, why, EXIT_FAILED);
        } catch (InterruptedException e) {
            out.println("agent: stopped");
            return 0;
        }
    }

    /** MQTT wake-ups; a password file or CA bundle that became unreadable leaves them off, polling goes on. */
    private static MqttWake startWake(AgentConfig.MqttConfig m, AgentConfig c, Agent agent, Consumer<String> log) {
        try {
            return MqttWake.start(m.broker(agent.deviceId(), c.caBundle()), agent.deviceId(), agent.wakeup()::wake, log);
        } catch (IllegalArgumentException e) {
            log.accept("mqtt: wake-ups off: " + e.getMessage() + "; polling continues");
            return null;
        }
    }

    private static int runAgent(Path file, PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        AgentConfig c = AgentConfigParser.parse(file, System.getenv());
        Consumer<String> log = line -> {
            out.println("agent: " + line);
            out.flush();
        };
        AgentPorts ports = AgentPorts.forDevice(c);
        Agent agent = new Agent(c, ports, new DirectorAssignmentAdapter(ports.clock()), log);
        Thread hook = new Thread(agent::stop, "flotilla-agent-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            try {
                agent.firstStart();
            } catch (InterruptedException stopped) {
                out.println("agent: stopped before enrollment completed");
                return 0;
            }
            agent.assemble();
            MqttWake wake = c.mqtt().map(m -> startWake(m, c, agent, log)).orElse(null);
            try {
                Agent.Exit exit = agent.run();
                if (exit == Agent.Exit.DECOMMISSIONED) {
                    return fail(err, "the server says this device is decommissioned", EXIT_DECOMMISSIONED);
                }
                out.println("agent: " + (exit == Agent.Exit.REBOOT_REQUESTED ? "exiting for the reboot" : "stopped"));
                return 0;
            } finally {
                if (wake != null) {
                    wake.close();
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
    }

    private static int fail(PrintWriter err, String message, int status) {
        err.println("flotilla: error: " + message);
        err.flush();
        return status;
    }
}
