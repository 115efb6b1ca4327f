package dev.flotilla.cli.tufclient;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The entry point of {@code bin/tuf-client}, built for start-up time: a well-formed protocol call is parsed
 * here by hand and run by {@link TufClient} without loading picocli (whose Java 5 class files cannot go into
 * a class-data-sharing archive, so they are loaded and verified afresh on every start). Anything else (help,
 * version, an unknown or repeated option, a missing value) goes to {@link TufClientCommand}, which answers
 * exactly as {@code flotilla tuf-client} does: usage and parameter errors exit 1 with one line on stderr.
 */
public final class TufClientMain {
    private TufClientMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(new OutputStreamWriter(System.err, Charset.defaultCharset()), true)));
    }

    /** Runs the protocol call in {@code args}; returns the exit code. */
    static int run(String[] args, PrintWriter err) {
        Optional<Call> call = parse(args);
        if (call.isEmpty()) {
            picocli.CommandLine cl = TufClientCommand.newCommandLine();
            cl.setErr(err);
            return cl.execute(args);
        }
        Call c = call.get();
        TufClient client = new TufClient(c.options(), err);
        return switch (c.command()) {
            case "init" -> client.init(Path.of(c.trustedRoot()));
            case "refresh" -> client.refresh();
            default -> client.download();
        };
    }

    private static boolean isShortVerbose(String a) {
        if (a.length() < 2 || a.charAt(0) != '-') {
            return false;
        }
        for (int k = 1; k < a.length(); k++) {
            if (a.charAt(k) != 'v') {
                return false;
            }
        }
        return true;
    }

    /** A parsed protocol call. */
    record Call(TufClient.Options options, String command, String trustedRoot) {
    }

    /**
     * Parses {@code [OPTIONS] init ROOT | [OPTIONS] refresh | [OPTIONS] download}, the options being those of
     * {@link TufClientCommand}, each single-valued one at most once. Empty when the arguments are anything
     * else (or would fail a conversion), so that the picocli command can explain.
     */
    static Optional<Call> parse(String[] args) {
        String metadataDir = null;
        String metadataUrl = null;
        String targetBaseUrl = null;
        String targetDir = null;
        List<String> names = new ArrayList<>();
        boolean verbose = false;
        int i = 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--verbose") || isShortVerbose(a)) {
                verbose = true;
                continue;
            }
            if (!a.startsWith("--")) {
                break;
            }
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            String value;
            if (eq >= 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return Optional.empty();
            }
            switch (name) {
                case "--metadata-dir" -> {
                    if (metadataDir != null) {
                        return Optional.empty();
                    }
                    metadataDir = value;
                }
                case "--metadata-url" -> {
                    if (metadataUrl != null) {
                        return Optional.empty();
                    }
                    metadataUrl = value;
                }
                case "--target-base-url" -> {
                    if (targetBaseUrl != null) {
                        return Optional.empty();
                    }
                    targetBaseUrl = value;
                }
                case "--target-dir" -> {
                    if (targetDir != null) {
                        return Optional.empty();
                    }
                    targetDir = value;
                }
                case "--target-name" -> names.add(value);
                default -> {
                    return Optional.empty();
                }
            }
        }
        if (metadataDir == null || i >= args.length) {
            return Optional.empty();
        }
        String command = args[i];
        int rest = args.length - i - 1;
        boolean shapeOk = switch (command) {
            case "init" -> rest == 1;
            case "refresh", "download" -> rest == 0;
            default -> false;
        };
        if (!shapeOk) {
            return Optional.empty();
        }
        try {
            TufClient.Options options = new TufClient.Options(Path.of(metadataDir),
                    metadataUrl == null ? null : new URI(metadataUrl), names,
                    targetBaseUrl == null ? null : new URI(targetBaseUrl), targetDir == null ? null : Path.of(targetDir),
                    verbose);
            return Optional.of(new Call(options, command, command.equals("init") ? args[i + 1] : null));
        } catch (java.net.URISyntaxException | java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }
}
