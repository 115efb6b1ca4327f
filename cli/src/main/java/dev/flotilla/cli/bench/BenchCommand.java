package dev.flotilla.cli.bench;

import picocli.CommandLine.Command;

/** {@code flotilla bench ...}: benchmarks that measure against a baseline in the same run. */
@Command(name = "bench", description = "Run a benchmark and print JSON results.",
        mixinStandardHelpOptions = true,
        subcommands = {VerifyBench.class, RefreshBench.class, AgentInstallBench.class, AgentFootprintBench.class,
                CheckinBench.class, RolloutBench.class, RetentionBench.class, FleetBench.class,
                DashboardBench.class},
        modelTransformer = dev.flotilla.cli.support.Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla bench verify --rounds 9 --millis 400",
                "  flotilla bench refresh --targets 10000 --rounds 5 --millis 2000",
                "  flotilla bench agent-install --size 1g --dir /var/tmp/bench",
                "  flotilla bench agent-footprint --size 1g --env MALLOC_ARENA_MAX=2",
                "  flotilla bench checkin --devices 100000",
                "  flotilla bench rollout --devices 1000000 --database jdbc:postgresql://127.0.0.1/bench",
                "  flotilla bench retention --devices 10000 --events 1000000",
                "  flotilla bench fleet --devices 100000 --nodes 3 --database jdbc:postgresql://127.0.0.1/bench",
                "  flotilla bench dashboard --devices 100000 --requests 20"})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
