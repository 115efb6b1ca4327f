package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.install.RepoHttpServer;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.tuf.TargetFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's image mirrors over real loopback HTTP: the first mirror is down, the second serves the image
 * and the update installs; a mirror serving other bytes of the same length costs a failed verification, never
 * an install, because every byte is checked against the signed target whichever host served it.
 */
class ImageMirrorsTest extends AgentTestBase {

    /** A base URL on loopback where nothing listens. */
    private static String down() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort() + "/tuf/targets/";
        }
    }

    private static String mirrors(String... bases) {
        return ", \"imageMirrors\": [" + String.join(", ", Stream.of(bases).map(b -> "\"" + b + "\"").toList()) + "]";
    }

    @Test
    void theFirstMirrorIsDownTheSecondServesAndTheVerifiedImageInstalls() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 300_000);
        TargetFile f = repo.add("fw/board-a.img", image, "board-a", "2.0.0", 4);
        repo.publish();
        api.assignment = UnsignedTestDirector.assignment("as-1", "dev-1", "fw/board-a.img", f, 1, false);
        try (RepoHttpServer mirror = new RepoHttpServer(repo.dir)) {
            AgentConfig c = config(mirrors(down(), mirror.targetsUrl().toString()));

            assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
            assertThat(Digests.sha256Hex(Files.readAllBytes(dev.resolve("slot-b.img")))).isEqualTo(f.sha256());
            assertThat(mirror.ranges).isNotEmpty();
            assertThat(mirror.authorizations).containsOnly(""); // a mirror never gets the device token
            assertThat(repoServer.ranges).isEmpty(); // the update server's targets were not needed
            assertThat(verifications).contains("IMAGE as-1 true");
        }
    }

    @Test
    void aMirrorServingOtherBytesIsCaughtByTheSignedHashAndNothingIsInstalled() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 200_000);
        TargetFile f = repo.add("fw/board-a.img", image, "board-a", "2.0.0", 4);
        repo.publish();
        Path evil = dir.resolve("evil");
        copyWithOtherTargetBytes(repo.dir, evil);
        api.assignment = UnsignedTestDirector.assignment("as-1", "dev-1", "fw/board-a.img", f, 1, false);
        try (RepoHttpServer mirror = new RepoHttpServer(evil)) {
            AgentConfig c = config(mirrors(mirror.targetsUrl().toString()));

            Agent.Exit exit = runAgent(c, () -> verifications.contains("IMAGE as-1 false"));
            assertThat(exit).isNotEqualTo(Agent.Exit.REBOOT_REQUESTED);
            assertThat(verifications).contains("IMAGE as-1 false").doesNotContain("IMAGE as-1 true");
            assertThat(mirror.ranges).isNotEmpty();
            assertThat(bootloader().bootUntilRunning(3).slot()).isEqualTo("a"); // still on the old image
        }
    }

    /** A copy of the repository whose target files hold other bytes of the same length. */
    private static void copyWithOtherTargetBytes(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else if (from.relativize(p).startsWith("targets")) {
                    byte[] other = new byte[(int) Files.size(p)];
                    new Random(1).nextBytes(other);
                    Files.write(dest, other);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }

    @Test
    void withoutMirrorsTheUpdateServerServesAsBefore() throws Exception {
        byte[] image = TestImage.create(TestImage.Behaviour.BOOT_OK, "2.0.0", 100_000);
        TargetFile f = repo.add("fw/board-a.img", image, "board-a", "2.0.0", 4);
        repo.publish();
        api.assignment = UnsignedTestDirector.assignment("as-1", "dev-1", "fw/board-a.img", f, 1, false);
        AgentConfig c = config("");
        assertThat(c.imageMirrors()).isEqualTo(List.of());
        assertThat(runAgent(c, () -> false)).isEqualTo(Agent.Exit.REBOOT_REQUESTED);
        assertThat(repoServer.ranges).isNotEmpty();
    }
}
