package dev.flotilla.cli;

import dev.flotilla.cli.tufclient.TufClientCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code flotilla} command: the composition root of every executable. */
@Command(name = "flotilla", mixinStandardHelpOptions = true, version = Main.VERSION, description = Main.DESCRIPTION,
        exitCodeListHeading = "%nExit codes (docs/cli.md):%n",
        exitCodeList = {"0:done",
                "1:failed; one line 'flotilla: error: ...' on stderr says why and what to do",
                "2:usage error: an unknown option or command, a missing or malformed argument",
                "77:agent: the server says this device is decommissioned",
                "78:agent: configuration error (config file, boot environment, slots, enrollment refused)"},
        footerHeading = "%nExamples:%n",
        footer = {"  flotilla server                      (a server on H2 and ./flotilla-data)",
                "  flotilla login --server http://127.0.0.1:8080   (then paste a token)",
                "  flotilla devices list",
                "  flotilla rollout create --help",
                "  source <(flotilla completion bash)",
                "A first fleet on one machine, step by step: docs/first-fleet.md."},
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
                dev.flotilla.cli.rollouts.RolloutCommand.class,
                dev.flotilla.cli.tokens.TokensCommand.class,
                dev.flotilla.cli.tokens.EnrollmentTokensCommand.class,
                dev.flotilla.cli.audit.AuditCommand.class,
                dev.flotilla.cli.login.LoginCommand.class,
                dev.flotilla.cli.login.LogoutCommand.class,
                dev.flotilla.cli.completion.CompletionCommand.class})
public final class Main implements Runnable {
    static final String VERSION = "flotilla 0.1.0";
    static final String DESCRIPTION = "Fleet-safe over-the-air firmware updates.";

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command line that runs {@code args}. When the first argument names a subcommand (other than
     * {@code help}), only that subcommand is built under the {@code flotilla} command: picocli builds every
     * command's model up front, by reflection, on every start (its class files are too old for a class-data
     * archive), and the fifty-odd models of the other commands are of no use to the one that runs. What that
     * subcommand prints and does is the same as under the full tree ({@code MainTest}); anything else (no
     * arguments, {@code --help}, {@code help}, an unknown command) gets the full tree.
     */
    public static CommandLine commandLine(String... args) {
        if (args.length > 0) {
            for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
                Command command = c.getAnnotation(Command.class);
                if (c != CommandLine.HelpCommand.class
                        && (command.name().equals(args[0]) || java.util.List.of(command.aliases()).contains(args[0]))) {
                    return new CommandLine(new Root()).addSubcommand(new CommandLine(c));
                }
            }
        }
        return new CommandLine(new Main());
    }

    /** The {@code flotilla} command without its subcommands, for {@link #commandLine}. */
    @Command(name = "flotilla", mixinStandardHelpOptions = true, version = VERSION, description = DESCRIPTION)
    static final class Root implements Runnable {
        @Override
        public void run() {
            new CommandLine(new Main()).usage(System.out);
        }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
