package dev.flotilla.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code flotilla} command: the composition root of every executable. */
@Command(name = "flotilla", mixinStandardHelpOptions = true, version = "flotilla 0.1.0",
        description = "Fleet-safe over-the-air firmware updates.",
        subcommands = {CommandLine.HelpCommand.class, dev.flotilla.cli.server.ServerCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
