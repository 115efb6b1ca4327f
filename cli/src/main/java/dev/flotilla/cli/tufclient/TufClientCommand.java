package dev.flotilla.cli.tufclient;

import dev.flotilla.core.tuf.client.AtomicFiles;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

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
 * {@code timestamp.json}, ...), written only after the {@link Updater} accepted it. Targets are processed in
 * the given order by one updater; a target already in {@code T} with matching length and hashes is not
 * fetched again.
 *
 * <p>{@link #main} runs this command alone (what {@code bin/tuf-client} starts, so that start-up loads
 * nothing else); {@code flotilla tuf-client} reaches the same code through the main command.
 */
@Command(name = "tuf-client", mixinStandardHelpOptions = true, version = "flotilla tuf-client 0.1.0",
        description = "TUF client speaking the tuf-conformance client protocol (init, refresh, download).")
public final class TufClientCommand {
    static final int OK = 0;
    static final int FAILED = 1;

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

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs {@code tuf-client} on its own: usage errors and failures exit 1, with one line on stderr. */
    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** A command line for this command alone, with the protocol's exit codes and one-line errors. */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new TufClientCommand());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("tuf-client: " + describe(e));
            line.getErr().flush();
            return FAILED;
        });
        cl.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("tuf-client: " + oneLine(e.getMessage()));
            err.flush();
            return FAILED;
        });
        return cl;
    }

    @Command(name = "init", description = "Copy a trusted root into the metadata directory (no network).")
    int init(@Parameters(paramLabel = "TRUSTED_ROOT", description = "Initial root.json.") Path trustedRoot) {
        return run(() -> {
            byte[] root = Files.readAllBytes(trustedRoot);
            AtomicFiles.write(metadataDir.resolve("root.json"), root);
            log("initialized " + metadataDir.resolve("root.json"));
            return OK;
        });
    }

    @Command(name = "refresh", description = "Update the top-level metadata from the repository.")
    int refresh() {
        return run(() -> {
            updater(null, null).refresh();
            log("refreshed metadata in " + metadataDir);
            return OK;
        });
    }

    @Command(name = "download", description = "Refresh, then download and verify each --target-name in order.")
    int download() {
        return run(() -> {
            require(!targetNames.isEmpty(), "--target-name");
            require(targetBaseUrl != null, "--target-base-url");
            require(targetDir != null, "--target-dir");
            Updater updater = updater(targetDir, targetBaseUrl);
            updater.refresh();
            for (String name : targetNames) {
                fetchTarget(updater, name);
            }
            return OK;
        });
    }

    private void fetchTarget(Updater updater, String name) {
        TargetInfo info = updater.getTargetInfo(name)
                .orElseThrow(() -> new Failure("target '" + name + "' is not in the trusted metadata"));
        Path file = updater.defaultTargetPath(info);
        if (updater.findCachedTarget(info, file).isPresent()) {
            log(name + ": cached in " + file);
            return;
        }
        updater.downloadTarget(info, file);
        log(name + ": downloaded to " + file);
    }

    private Updater updater(Path targets, URI targetsUrl) {
        require(metadataUrl != null, "--metadata-url");
        return new Updater(UpdaterConfig.of(metadataDir, metadataUrl, targets, targetsUrl), new HttpFetcher(),
                Clock.systemUTC());
    }

    /** Runs one command body: any failure becomes one line on stderr and exit code 1. */
    private int run(Body body) {
        try {
            return body.call();
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("tuf-client: " + describe(e));
            err.flush();
            return FAILED;
        }
    }

    /** The message of a failure, prefixed with its kind where the message alone would not say it. */
    static String describe(Throwable e) {
        String msg = oneLine(e.getMessage());
        if (msg.isEmpty()) {
            return e.getClass().getSimpleName();
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + msg;
        }
        if (e instanceof IOException || e instanceof Error) {
            return e.getClass().getSimpleName() + ": " + msg;
        }
        return msg;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    private static void require(boolean present, String option) {
        if (!present) {
            throw new Failure("missing required option " + option);
        }
    }

    private void log(String line) {
        if (verbose.length > 0) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("tuf-client: " + line);
            err.flush();
        }
    }

    @FunctionalInterface
    private interface Body extends Callable<Integer> {
    }

    /** A failure whose message says everything (no exception kind prefixed). */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }
}
