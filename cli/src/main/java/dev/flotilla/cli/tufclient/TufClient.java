package dev.flotilla.cli.tufclient;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.client.AtomicFiles;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.TrustedMetadataSet;
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
 * Each step returns an exit code: 0 when it succeeded fully, 1 otherwise after one line on stderr. Given a JSON
 * writer ({@code --json}), a step that succeeded prints what it did there as one line of JSON.
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
    private final PrintWriter json;

    /** A client without JSON output. */
    TufClient(Options options, PrintWriter err) {
        this(options, err, null);
    }

    /** A client that prints each successful step's result as one line of JSON on {@code json} (null: none). */
    TufClient(Options options, PrintWriter err, PrintWriter json) {
        this.options = options;
        this.err = err;
        this.json = json;
    }

    /**
     * Copies the trusted root into the metadata directory as {@code root.json}; no network, no checks. Its JSON:
     * {@code root}, the file written.
     */
    int init(Path trustedRoot) {
        return run(() -> {
            byte[] root = Files.readAllBytes(trustedRoot);
            Path file = options.metadataDir().resolve("root.json");
            AtomicFiles.write(file, root);
            log("initialized " + file);
            return CanonicalJson.mapper().createObjectNode().put("root", file.toString());
        });
    }

    /**
     * Updates the top-level metadata by the TUF client workflow. Its JSON: {@code metadataDir} and the trusted
     * {@code versions} of {@code root}, {@code timestamp}, {@code snapshot} and {@code targets}.
     */
    int refresh() {
        return run(() -> {
            Updater updater = updater();
            updater.refresh();
            log("refreshed metadata in " + options.metadataDir());
            return trustedVersions(updater.trusted());
        });
    }

    /**
     * Refreshes, then for each target name in order: finds it in the trusted metadata and downloads it unless
     * the target directory already holds it with matching length and hashes. Stops at the first failure. Its
     * JSON: that of {@link #refresh} and {@code targets}, one {@code name}, {@code file}, {@code length} and
     * {@code cached} (true when it was there already) per target, in order.
     */
    int download() {
        return run(() -> {
            require(!options.targetNames().isEmpty(), "--target-name");
            require(options.targetBaseUrl() != null, "--target-base-url");
            require(options.targetDir() != null, "--target-dir");
            Updater updater = updater();
            updater.refresh();
            ObjectNode result = trustedVersions(updater.trusted());
            ArrayNode targets = result.putArray("targets");
            for (String name : options.targetNames()) {
                targets.add(fetchTarget(updater, name));
            }
            return result;
        });
    }

    private ObjectNode fetchTarget(Updater updater, String name) {
        TargetInfo info = updater.getTargetInfo(name)
                .orElseThrow(() -> new Failure("target '" + name + "' is not in the trusted metadata"));
        Path file = updater.defaultTargetPath(info);
        boolean cached = updater.findCachedTarget(info, file).isPresent();
        if (cached) {
            log(name + ": cached in " + file);
        } else {
            updater.downloadTarget(info, file);
            log(name + ": downloaded to " + file);
        }
        return CanonicalJson.mapper().createObjectNode().put("name", name).put("file", file.toString())
                .put("length", info.file().length()).put("cached", cached);
    }

    private ObjectNode trustedVersions(TrustedMetadataSet trusted) {
        ObjectNode result = CanonicalJson.mapper().createObjectNode()
                .put("metadataDir", options.metadataDir().toString());
        ObjectNode versions = result.putObject("versions");
        versions.put("root", trusted.root().signed().version());
        trusted.timestamp().ifPresent(m -> versions.put("timestamp", m.signed().version()));
        trusted.snapshot().ifPresent(m -> versions.put("snapshot", m.signed().version()));
        trusted.targets("targets").ifPresent(m -> versions.put("targets", m.signed().version()));
        return result;
    }

    private Updater updater() {
        require(options.metadataUrl() != null, "--metadata-url");
        return new Updater(UpdaterConfig.of(options.metadataDir(), options.metadataUrl(), options.targetDir(),
                options.targetBaseUrl()), new HttpFetcher(), Clock.systemUTC());
    }

    /** Runs one step: any failure becomes one line on stderr and exit code 1. */
    private int run(Step step) {
        try {
            ObjectNode result = step.run();
            if (json != null) {
                json.println(CanonicalJson.mapper().writeValueAsString(result));
                json.flush();
            }
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
        ObjectNode run() throws Exception;
    }

    /** A failure whose message says everything (no exception kind prefixed). */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }
}
