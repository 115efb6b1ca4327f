package dev.flotilla.cli.agent;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.config.ConfigException;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.runtime.Agent;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.wake.MqttWake;
import dev.flotilla.cli.support.ToolCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla agent --config FILE}: the device agent. The composition root is {@link Agent}; this
 * command reads the configuration, wires the director verification and the optional MQTT wake-up, and
 * runs until the update machine asks for a reboot (exit 0 after the reboot command ran) or SIGTERM.
 * A configuration the device cannot work with (a bad file, a missing slot, an unreadable boot environment)
 * exits {@value #EXIT_CONFIG}, a device the server says is decommissioned exits {@value #EXIT_DECOMMISSIONED}:
 * the systemd unit's {@code RestartPreventExitStatus} keeps both from restarting in a loop.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the device agent: check in, verify, install into the inactive slot, trial boot, commit.")
public final class AgentCommand extends ToolCommand {
    /** Exit code of a configuration error (sysexits' EX_CONFIG). */
    public static final int EXIT_CONFIG = 78;
    /** Exit code when the server says this device is decommissioned (sysexits' EX_NOPERM). */
    public static final int EXIT_DECOMMISSIONED = 77;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Agent configuration (JSON with comments; see docs/device-integration.md).")
    Path config;

    @Override
    protected int execute() throws Exception {
        AgentConfig c;
        try {
            c = AgentConfigParser.parse(config, System.getenv());
        } catch (ConfigException e) {
            fail(e.getMessage());
            return EXIT_CONFIG;
        }
        PrintWriter out = out();
        Agent agent = new Agent(c, new FileDurable(), Clock.systemUTC(), new DirectorAssignmentAdapter(Clock.systemUTC()), line -> {
            out.println("agent: " + line);
            out.flush();
        });
        Thread hook = new Thread(agent::stop, "flotilla-agent-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            try {
                agent.firstStart();
            } catch (ConfigException e) {
                fail(e.getMessage());
                return EXIT_CONFIG;
            } catch (ServerClient.ServerRefusal e) {
                return fail("enrollment: " + e.getMessage());
            } catch (InterruptedException stopped) {
                out.println("agent: stopped before enrollment completed");
                return 0;
            }
            agent.assemble();
            MqttWake wake = c.mqttBroker().map(b -> MqttWake.start(b, agent.deviceId(), agent.wakeup()::wake,
                    line -> {
                        out.println("agent: " + line);
                        out.flush();
                    })).orElse(null);
            try {
                Agent.Exit exit = agent.run();
                if (exit == Agent.Exit.DECOMMISSIONED) {
                    fail("the server says this device is decommissioned");
                    return EXIT_DECOMMISSIONED;
                }
                out.println("agent: " + (exit == Agent.Exit.REBOOT_REQUESTED ? "exiting for the reboot" : "stopped"));
            } finally {
                if (wake != null) {
                    wake.close();
                }
            }
            return 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
    }
}
