package dev.flotilla.cli.bench;

import picocli.CommandLine.Command;

/** {@code flotilla bench ...}: benchmarks that measure against a baseline in the same run. */
@Command(name = "bench", description = "Run a benchmark and print JSON results.",
        mixinStandardHelpOptions = true,
        subcommands = {VerifyBench.class, RefreshBench.class, AgentInstallBench.class, AgentFootprintBench.class,
                CheckinBench.class, RolloutBench.class, RetentionBench.class,
                DashboardBench.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
