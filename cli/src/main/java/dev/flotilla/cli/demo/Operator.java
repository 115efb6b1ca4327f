package dev.flotilla.cli.demo;

import dev.flotilla.cli.Main;
import dev.flotilla.sim.Releases;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's offline steps, done the way an operator would: through the {@code flotilla} commands
 * themselves (keys generate, trust init, release publish). The simulator's and the demo's {@link Releases}.
 */
public final class Operator implements Releases {
    private final URI server;
    private final String token;
    private final Path caBundle;
    private final Path keys;

    /** An operator of {@code server} whose commands check its HTTPS certificate against {@code caBundle} (or null). */
    public Operator(URI server, String adminToken, Path caBundle, Path keysDir) {
        this.server = server;
        this.token = adminToken;
        this.caBundle = caBundle;
        this.keys = keysDir;
    }

    /** Offline root and targets keys, then a root built with the server's online keys, uploaded. */
    @Override
    public void createTrust() {
        flotilla("keys", "generate", "--type", "ed25519", "--out", keys.toString(), "--name", "root");
        flotilla("keys", "generate", "--type", "ed25519", "--out", keys.toString(), "--name", "targets");
        flotilla(onServer("trust", "init", "--accept-online-keys",
                "--root-key", keys.resolve("root.pub.json").toString(),
                "--targets-key", keys.resolve("targets.pub.json").toString(),
                "--sign-with", keys.resolve("root.pem").toString()));
    }

    /** Signs the image into targets offline (the targets key never reaches the server) and uploads it. */
    @Override
    public String publish(Path image, String version, String hardware) {
        flotilla(onServer("release", "publish", "--image", image.toString(), "--version", version,
                "--hardware", hardware, "--targets-key", keys.resolve("targets.pem").toString(), "--no-progress"));
        return image.getFileName().toString();
    }

    /** {@code args} followed by this operator's server, token and CA bundle (when there is one). */
    private String[] onServer(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.toString(), "--token", token));
        if (caBundle != null) {
            all.addAll(List.of("--ca-bundle", caBundle.toString()));
        }
        return all.toArray(String[]::new);
    }

    /** Runs a {@code flotilla} command in this process; fails with its error line. */
    private static void flotilla(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        if (code != 0) {
            throw new IllegalStateException("flotilla " + String.join(" ", args).replaceAll("--token \\S+", "--token ***")
                    + " failed: " + err.toString().strip());
        }
    }
}
