package dev.flotilla.cli.agent;

import dev.flotilla.agent.runtime.AgentMain;
import dev.flotilla.cli.support.ToolCommand;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla agent --config FILE}: the device agent, run by {@link AgentMain} exactly as the agent-only
 * jar runs it (the same log lines, errors and exit statuses: {@value AgentMain#EXIT_CONFIG} for a
 * configuration error, {@value AgentMain#EXIT_DECOMMISSIONED} for a decommissioned device).
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        footer = {"", "Examples:",
                "  flotilla agent --config /etc/flotilla/agent.conf"},
        description = "Run the device agent: check in, verify, install into the inactive slot, trial boot, commit.")
public final class AgentCommand extends ToolCommand {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Agent configuration (JSON with comments; see docs/device-integration.md).")
    Path config;

    @Override
    protected int execute() {
        return AgentMain.run(config, out(), spec.commandLine().getErr());
    }
}
