package dev.flotilla.cli.bench;

import dev.flotilla.cli.Main;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A signed release on a benchmark's server, made the way an operator makes one: {@code flotilla keys generate},
 * {@code trust init --server} and {@code release publish}, run in this process with their output kept.
 */
final class BenchRelease {
    private BenchRelease() {
    }

    /** Publishes {@code path} (a small image), version {@code version}, for {@code hardware}; keys under {@code dir}. */
    static void publish(URI server, String adminToken, Path dir, String path, String version, String hardware)
            throws Exception {
        publish(server, adminToken, dir, path, version, hardware, 0);
    }

    /** Publishes {@code path} as above, signed with firmware security version {@code securityVersion}. */
    static void publish(URI server, String adminToken, Path dir, String path, String version, String hardware,
                        long securityVersion) throws Exception {
        Path image = Files.write(dir.resolve(path), ("bench image " + path).getBytes());
        publishImage(server, adminToken, dir, image, version, hardware, securityVersion);
    }

    /**
     * Publishes the file {@code image} (any size; its file name is the target path), version {@code version},
     * for {@code hardware}; keys under {@code dir}, the root of trust in {@code dir/repo/root.json}.
     */
    static void publishImage(URI server, String adminToken, Path dir, Path image, String version, String hardware)
            throws Exception {
        publishImage(server, adminToken, dir, image, version, hardware, 0);
    }

    private static void publishImage(URI server, String adminToken, Path dir, Path image, String version,
                                     String hardware, long securityVersion) throws Exception {
        Path keys = dir.resolve("keys");
        for (String name : new String[] {"root", "targets"}) {
            run("keys", "generate", "--type", "ed25519", "--out", keys.toString(), "--name", name);
        }
        // the bench's own server, started by the bench itself: its online keys are the ones to trust
        run("trust", "init", "--accept-online-keys", "--server", server.toString(), "--token", adminToken,
                "--out", dir.resolve("repo").toString(),
                "--root-key", keys.resolve("root.pub.json").toString(), "--targets-key",
                keys.resolve("targets.pub.json").toString(), "--sign-with", keys.resolve("root.pem").toString());
        run("release", "publish", "--server", server.toString(), "--token", adminToken, "--image", image.toString(),
                "--version", version, "--hardware", hardware, "--security-version", Long.toString(securityVersion),
                "--targets-key", keys.resolve("targets.pem").toString(),
                "--no-progress");
    }

    /** Runs {@code flotilla ARGS...} in this process; returns what it printed on stdout. */
    static String run(String... args) {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine(args);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        if (cl.execute(args) != 0) {
            throw new IllegalStateException("flotilla " + args[0] + " " + args[1] + " failed: " + err.toString().strip());
        }
        return out.toString();
    }
}
