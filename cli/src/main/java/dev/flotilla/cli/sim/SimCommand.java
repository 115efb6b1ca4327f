package dev.flotilla.cli.sim;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code flotilla sim ...}: simulated devices. */
@Command(name = "sim", mixinStandardHelpOptions = true, description = "Simulated devices running the real agent.",
        subcommands = {SimDeviceCommand.class})
public final class SimCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
