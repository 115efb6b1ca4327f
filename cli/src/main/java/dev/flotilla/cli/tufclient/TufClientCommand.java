package dev.flotilla.cli.tufclient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flotilla tuf-client}: the client-under-test protocol of the public tuf-conformance suite.
 *
 * <pre>
 * tuf-client --metadata-dir D init TRUSTED_ROOT
 * tuf-client --metadata-dir D --metadata-url URL refresh
 * tuf-client --metadata-dir D --metadata-url URL --target-name P [--target-name P2 ...]
 *            --target-base-url URL --target-dir T download
 * </pre>
 *
 * <p>Exit code 0 when the command succeeded fully, 1 otherwise; a failure prints one line on stderr (never a
 * stack trace). Trusted metadata stays in {@code D} under unversioned names ({@code root.json},
 * {@code timestamp.json}, ...), written only after the updater accepted it. Targets are processed in the
 * given order by one updater; a target already in {@code T} with matching length and hashes is not fetched
 * again. With {@code --json} a step that succeeded prints what it did as one line of JSON on stdout (see
 * {@link TufClient}); the fast path leaves such calls to picocli. The work itself is {@link TufClient}'s; {@code bin/tuf-client} starts {@link TufClientMain}, which
 * skips picocli for well-formed protocol calls.
 */
@Command(name = "tuf-client", mixinStandardHelpOptions = true, version = "flotilla tuf-client 0.1.0",
        footer = {"", "Examples:",
                "  flotilla tuf-client --metadata-dir meta init root.json",
                "  flotilla tuf-client --metadata-dir meta --metadata-url https://repo.example/metadata/ refresh",
                "  flotilla tuf-client --metadata-dir meta --metadata-url https://repo.example/metadata/ \\",
                "      --target-name fw.img --target-base-url https://repo.example/targets/ --target-dir out download"},
        description = "TUF client speaking the tuf-conformance client protocol (init, refresh, download).")
public final class TufClientCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--metadata-dir", required = true, paramLabel = "DIR",
            description = "Trusted metadata directory (root.json, timestamp.json, ...).")
    Path metadataDir;

    @Option(names = "--metadata-url", paramLabel = "URL", description = "Base URL of the repository metadata.")
    URI metadataUrl;

    @Option(names = "--target-name", paramLabel = "PATH",
            description = "Target path to download; repeat for several, processed in order.")
    List<String> targetNames = new ArrayList<>();

    @Option(names = "--target-base-url", paramLabel = "URL", description = "Base URL of the repository targets.")
    URI targetBaseUrl;

    @Option(names = "--target-dir", paramLabel = "DIR", description = "Where verified targets are stored.")
    Path targetDir;

    @Option(names = {"-v", "--verbose"}, description = "Print progress on stderr.")
    boolean[] verbose = new boolean[0];

    @Option(names = "--json", description = "On success, print what the command did as one line of JSON on stdout.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** A command line for this command alone, with the protocol's exit codes and one-line errors. */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new TufClientCommand());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("tuf-client: " + TufClient.describe(e));
            line.getErr().flush();
            return TufClient.FAILED;
        });
        cl.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("tuf-client: " + TufClient.oneLine(e.getMessage()));
            err.flush();
            return TufClient.FAILED;
        });
        return cl;
    }

    /** Without a subcommand: says what is missing, exit code 1. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("tuf-client: missing command: init, refresh or download (see --help)");
        err.flush();
        return TufClient.FAILED;
    }

    @Command(name = "init", description = "Copy a trusted root into the metadata directory (no network).")
    int init(@Parameters(paramLabel = "TRUSTED_ROOT", description = "Initial root.json.") Path trustedRoot) {
        return client().init(trustedRoot);
    }

    @Command(name = "refresh", description = "Update the top-level metadata from the repository.")
    int refresh() {
        return client().refresh();
    }

    @Command(name = "download", description = "Refresh, then download and verify each --target-name in order.")
    int download() {
        return client().download();
    }

    private TufClient client() {
        return new TufClient(new TufClient.Options(metadataDir, metadataUrl, targetNames, targetBaseUrl, targetDir,
                verbose.length > 0), spec.commandLine().getErr(), json ? spec.commandLine().getOut() : null);
    }
}
