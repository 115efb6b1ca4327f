package dev.flotilla.cli.deployments;

import dev.flotilla.cli.CliFixture;
import dev.flotilla.cli.CliRun;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code flotilla deployments create --forced / --tag}, {@code show} and {@code cancel} against a real server. */
class DeploymentsCommandTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:clidep" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        CliFixture fx = new CliFixture(tmp).generate("ed25519", "root1", "targets");
        CliRun init = CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1"));
        assertThat(init.exitCode()).as(init.err()).isZero();
        Path image = Files.write(tmp.resolve("fw-1.0.bin"), new byte[] {1, 2, 3, 4});
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aMisspeltGroupIsRefusedWithOneLineAndNewestDeploymentsAreListedFirst() {
        CliRun typo = CliRun.of("deployments", "create", "--server", server.uri(), "--token", admin,
                "--target", "fw-1.0.bin", "--group", "lba");
        CliFixture.assertOneLineError(typo, "no_matching_devices: group 'lba' has no active devices (0 match;");
        CliRun first = CliRun.of("deployments", "create", "--server", server.uri(), "--token", admin,
                "--target", "fw-1.0.bin", "--group", "first", "--allow-empty");
        CliRun second = CliRun.of("deployments", "create", "--server", server.uri(), "--token", admin,
                "--target", "fw-1.0.bin", "--group", "second", "--allow-empty");
        assertThat(second.exitCode()).as(second.err()).isZero();
        String list = CliRun.of("deployments", "list", "--server", server.uri(), "--token", admin).out();
        assertThat(list.indexOf("group second")).isPositive().isLessThan(list.indexOf("group first"));
        assertThat(list).doesNotContain("lba");
        assertThat(first.exitCode()).isZero();
    }

    @Test
    void createsForcedAndTagDeploymentsShowsAndCancelsThem() {
        CliRun forced = CliRun.of("deployments", "create", "--server", server.uri(), "--token", admin,
                "--target", "fw-1.0.bin", "--group", "lab", "--forced", "--allow-empty");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(forced.out()).contains("to group lab, forced (no devices)")
                .contains("0 of 0 active device(s) match hardware board-a");
        String id = forced.out().split(" ")[1].replace(":", "");

        CliRun tag = CliRun.of("deployments", "create", "--server", server.uri(), "--token", admin,
                "--target", "fw-1.0.bin", "--tag", "canary", "--allow-empty");
        assertThat(tag.exitCode()).as(tag.err()).isZero();
        assertThat(tag.out()).contains("to tag canary (no devices)").doesNotContain("forced");

        CliRun show = CliRun.of("deployments", "show", "--server", server.uri(), "--token", admin, id);
        assertThat(show.out()).contains("state:    active").contains("forced:   true");
        CliRun cancel = CliRun.of("deployments", "cancel", "--server", server.uri(), "--token", admin, id);
        assertThat(cancel.exitCode()).as(cancel.err()).isZero();
        assertThat(cancel.out()).contains("deployment " + id + " cancelled at ");
        CliRun list = CliRun.of("deployments", "list", "--server", server.uri(), "--token", admin);
        assertThat(list.out()).contains("cancelled, forced").contains("tag canary");
        CliRun unknown = CliRun.of("deployments", "cancel", "--server", server.uri(), "--token", admin, "dep_nope");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.err()).doesNotContain("Exception");
    }
}
