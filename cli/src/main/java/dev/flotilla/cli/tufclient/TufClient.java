package dev.flotilla.cli.tufclient;

import dev.flotilla.core.tuf.client.AtomicFiles;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The three steps of the tuf-conformance client protocol, free of command-line parsing (so that the fast
 * start-up path, {@link TufClientMain}, and the picocli command, {@link TufClientCommand}, share them).
 * Each step returns an exit code: 0 when it succeeded fully, 1 otherwise after one line on stderr.
 */
final class TufClient {
    static final int OK = 0;
    static final int FAILED = 1;

    /**
     * What the protocol's options say.
     *
     * @param metadataDir   trusted metadata directory (required)
     * @param metadataUrl   base URL of the repository metadata (refresh, download)
     * @param targetNames   target paths to download, in order (download)
     * @param targetBaseUrl base URL of the repository targets (download)
     * @param targetDir     where verified targets are stored (download)
     * @param verbose       print progress on stderr
     */
    record Options(Path metadataDir, URI metadataUrl, List<String> targetNames, URI targetBaseUrl, Path targetDir,
                   boolean verbose) {
        Options {
            targetNames = List.copyOf(targetNames);
        }
    }

    private final Options options;
    private final PrintWriter err;

    TufClient(Options options, PrintWriter err) {
        this.options = options;
        this.err = err;
    }

    /** Copies the trusted root into the metadata directory as {@code root.json}; no network, no checks. */
    int init(Path trustedRoot) {
        return run(() -> {
            byte[] root = Files.readAllBytes(trustedRoot);
            AtomicFiles.write(options.metadataDir().resolve("root.json"), root);
            log("initialized " + options.metadataDir().resolve("root.json"));
        });
    }

    /** Updates the top-level metadata by the TUF client workflow. */
    int refresh() {
        return run(() -> {
            updater().refresh();
            log("refreshed metadata in " + options.metadataDir());
        });
    }

    /**
     * Refreshes, then for each target name in order: finds it in the trusted metadata and downloads it unless
     * the target directory already holds it with matching length and hashes. Stops at the first failure.
     */
    int download() {
        return run(() -> {
            require(!options.targetNames().isEmpty(), "--target-name");
            require(options.targetBaseUrl() != null, "--target-base-url");
            require(options.targetDir() != null, "--target-dir");
            Updater updater = updater();
            updater.refresh();
            for (String name : options.targetNames()) {
                fetchTarget(updater, name);
            }
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

    private Updater updater() {
        require(options.metadataUrl() != null, "--metadata-url");
        return new Updater(UpdaterConfig.of(options.metadataDir(), options.metadataUrl(), options.targetDir(),
                options.targetBaseUrl()), new HttpFetcher(), Clock.systemUTC());
    }

    /** Runs one step: any failure becomes one line on stderr and exit code 1. */
    private int run(Step step) {
        try {
            step.run();
            return OK;
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
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
        if (e instanceof NoSuchFileException) {
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
        if (options.verbose()) {
            err.println("tuf-client: " + line);
            err.flush();
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** A failure whose message says everything (no exception kind prefixed). */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }
}
