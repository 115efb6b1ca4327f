package dev.flotilla.cli;

import dev.flotilla.cli.tufclient.TufClientCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code flotilla} command: the composition root of every executable. */
@Command(name = "flotilla", mixinStandardHelpOptions = true, version = "flotilla 0.1.0",
        description = "Fleet-safe over-the-air firmware updates.",
        subcommands = {CommandLine.HelpCommand.class,
                dev.flotilla.cli.server.ServerCommand.class,
                dev.flotilla.cli.agent.AgentCommand.class,
                dev.flotilla.cli.keys.KeysCommand.class,
                dev.flotilla.cli.trust.TrustCommand.class,
                dev.flotilla.cli.release.ReleaseCommand.class,
                dev.flotilla.cli.bench.BenchCommand.class,
                TufClientCommand.class,
                dev.flotilla.cli.sim.SimCommand.class,
                dev.flotilla.cli.demo.DemoCommand.class,
                dev.flotilla.cli.devices.DevicesCommand.class,
                dev.flotilla.cli.deployments.DeploymentsCommand.class,
                dev.flotilla.cli.tokens.TokensCommand.class,
                dev.flotilla.cli.tokens.EnrollmentTokensCommand.class,
                dev.flotilla.cli.audit.AuditCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
