package dev.flotilla.cli.e2e;

import dev.flotilla.cli.CliRun;
import dev.flotilla.server.testing.S3ProxyServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each node of a deployment gets besides the database, as docs/deployment.md says: its own copy of the
 * online keys made once in a "secret store" directory, and the options of one object store (s3proxy) with a
 * credentials file of its own, so that nodes share nothing through the file system.
 */
final class NodeSetup {
    private static final List<String> ROLES = List.of("snapshot", "timestamp", "director");

    private final Path store;

    private NodeSetup(Path store) {
        this.store = store;
    }

    /** Generates the three online keys into {@code store} with {@code flotilla keys generate}. */
    static NodeSetup onlineKeys(Path store) {
        for (String role : ROLES) {
            CliRun run = CliRun.of("keys", "generate", "--type", "ed25519", "--out", store, "--name", role);
            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        }
        return new NodeSetup(store);
    }

    /** Copies the key files into {@code dir} (a node's {@code --online-keys}) and returns it. */
    Path copyFor(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String role : ROLES) {
            Files.copy(store.resolve(role + ".pem"), dir.resolve(role + ".pem"));
        }
        return dir;
    }

    /**
     * The server options that keep release images in {@code s3://images/fleet} on {@code s3}, path-style, with
     * the access key written to {@code credentials} (the AWS credentials file format).
     */
    static List<String> objectStore(S3ProxyServer s3, Path credentials) throws IOException {
        Files.writeString(credentials, "[default]\naws_access_key_id = " + S3ProxyServer.ACCESS_KEY
                + "\naws_secret_access_key = " + S3ProxyServer.SECRET_KEY + "\n");
        return List.of("--artifacts", "s3://" + S3ProxyServer.BUCKET + "/fleet", "--s3-endpoint",
                s3.endpoint().toString(), "--s3-path-style", "--s3-credentials", credentials.toString());
    }

    /** The regular files under {@code dir}, as relative paths with '/' (none when it does not exist). */
    static List<String> files(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }
}
