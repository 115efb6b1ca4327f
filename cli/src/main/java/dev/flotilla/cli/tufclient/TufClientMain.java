package dev.flotilla.cli.tufclient;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The entry point of {@code bin/tuf-client}, built for start-up time: a well-formed protocol call is parsed
 * here by hand and run by {@link TufClient} without loading picocli (whose Java 5 class files cannot go into
 * a class-data-sharing archive, so they are loaded and verified afresh on every start). Anything else (help,
 * version, an unknown or repeated option, a missing value) goes to {@link TufClientCommand}, which answers
 * exactly as {@code flotilla tuf-client} does: usage and parameter errors exit 1 with one line on stderr.
 */
public final class TufClientMain {
    private static final Set<String> SINGLE_VALUED = Set.of("--metadata-dir", "--metadata-url", "--target-base-url",
            "--target-dir");

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
        Map<String, String> single = new HashMap<>();
        List<String> names = new ArrayList<>();
        boolean verbose = false;
        int i = 0;
        for (; i < args.length && args[i].startsWith("-"); i++) {
            String a = args[i];
            if (a.equals("--verbose") || isShortVerbose(a)) {
                verbose = true;
                continue;
            }
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            if (!name.equals("--target-name") && !SINGLE_VALUED.contains(name)) {
                return Optional.empty();
            }
            if (eq < 0 && i + 1 == args.length) {
                return Optional.empty();
            }
            String value = eq < 0 ? args[++i] : a.substring(eq + 1);
            if (name.equals("--target-name")) {
                names.add(value);
            } else if (single.putIfAbsent(name, value) != null) {
                return Optional.empty();
            }
        }
        String metadataDir = single.get("--metadata-dir");
        String metadataUrl = single.get("--metadata-url");
        String targetBaseUrl = single.get("--target-base-url");
        String targetDir = single.get("--target-dir");
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
