package dev.flotilla.cli.release;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * For the release commands' tests: a real server on loopback (H2 in memory) whose repository was initialised with
 * {@code trust init} (keys {@code root1}, {@code targets} and an unrelated {@code other}) and one image published
 * with {@code release publish}, both through the CLI.
 */
final class ReleaseServer implements AutoCloseable {
    final Server server;
    final String admin;
    final CliFixture fx;
    final byte[] image;

    private ReleaseServer(Server server, CliFixture fx, byte[] image) {
        this.server = server;
        this.admin = server.initialAdminToken().orElseThrow();
        this.fx = fx;
        this.image = image;
    }

    /** Publishes {@code image} as {@code name}, version {@code version}, with {@code more} options of publish. */
    static ReleaseServer publishing(Path tmp, String name, byte[] image, String version, Object... more)
            throws Exception {
        Server server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0)
                .withHost("127.0.0.1").withDatabaseUrl("jdbc:h2:mem:rel" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        ReleaseServer rs = new ReleaseServer(server, new CliFixture(tmp).generate("ed25519", "root1", "targets",
                "other"), image);
        rs.ok("trust", "init", "--accept-online-keys", "--out", rs.fx.repo, "--root-key", rs.fx.pub("root1"),
                "--targets-key", rs.fx.pub("targets"), "--sign-with", rs.fx.key("root1"));
        List<Object> publish = new ArrayList<>(List.of("release", "publish", "--image",
                Files.write(tmp.resolve(name), image), "--version", version, "--targets-key", rs.fx.key("targets"),
                "--no-progress"));
        publish.addAll(List.of(more));
        rs.ok(publish.toArray());
        return rs;
    }

    /** Runs a command as the admin against the server. */
    CliRun as(Object... args) {
        List<Object> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.uri(), "--token", admin));
        return CliRun.of(all.toArray());
    }

    /** Runs a command as the admin against the server; it must succeed. */
    CliRun ok(Object... args) {
        CliRun run = as(args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    @Override
    public void close() {
        server.close();
    }
}
