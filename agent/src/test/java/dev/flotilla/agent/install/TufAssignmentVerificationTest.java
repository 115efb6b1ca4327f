package dev.flotilla.agent.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.install.AssignmentRefused.Reason;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks before a byte is written, against real TUF metadata served over loopback HTTP. */
class TufAssignmentVerificationTest {
    @TempDir
    Path dir;
    RepoHttpServer server;
    final DeviceFacts device = new DeviceFacts("board-a", "1.0.0", 2);
    final byte[] image = "firmware 2.0.0 bytes".repeat(100).getBytes();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private TestRepo repo(Clock clock) throws IOException {
        TestRepo r = new TestRepo(dir.resolve("repo"), clock);
        server = new RepoHttpServer(r.dir);
        return r;
    }

    private TufAssignmentVerification verification(TestRepo r, DirectorVerifier director, URI metadataUrl)
            throws IOException {
        Path meta = dir.resolve("device/metadata");
        Updater.initialize(meta, r.rootBytes());
        Updater u = new Updater(UpdaterConfig.of(meta, metadataUrl, null, null), new HttpFetcher(), Clock.systemUTC());
        return new TufAssignmentVerification(u, director, "dev-1", dir.resolve("device/director-counter"),
                new FileDurable());
    }

    private Reason refusal(TufAssignmentVerification v, ObjectNode a, DeviceFacts facts) {
        try {
            v.verify(a, facts);
        } catch (AssignmentRefused e) {
            return e.reason();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("accepted " + a);
    }

    @Test
    void acceptsAnAssignmentThatMatchesTheSignedTargetAndPolicy() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/board-a-2.0.0.img", image, "board-a", "2.0.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), server.metadataUrl());
        Assignment a = v.verify(UnsignedTestDirector.assignment("as-1", "dev-1", "fw/board-a-2.0.0.img", f, 7, true),
                device);
        assertThat(a).isEqualTo(new Assignment("as-1", "fw/board-a-2.0.0.img", "2.0.0", image.length, f.sha256(), 3,
                true, 7)); // the director's counter goes with it to the update machine
    }

    @Test
    void refusesWhatDoesNotMatch() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        TargetFile other = r.add("fw/other-hw.img", image, "board-z", "2.0.0", 3);
        TargetFile old = r.add("fw/old-sec.img", "old".getBytes(), "board-a", "1.5.0", 1);
        TargetFile same = r.add("fw/same.img", "same".getBytes(), "board-a", "1.0.0", 2);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), server.metadataUrl());
        var unsigned = UnsignedTestDirector.assignment("x", "dev-1", "fw/not-signed.img", f, 1, false);
        assertThat(refusal(v, unsigned, device)).isEqualTo(Reason.TARGET_NOT_SIGNED);
        ObjectNode longer = UnsignedTestDirector.assignment("x", "dev-1", "fw/a.img", f, 1, false);
        longer.put("length", image.length + 1);
        assertThat(refusal(v, longer, device)).isEqualTo(Reason.LENGTH_OR_HASH_MISMATCH);
        ObjectNode tampered = UnsignedTestDirector.assignment("x", "dev-1", "fw/a.img", f, 1, false);
        tampered.with("hashes").put("sha256", "00".repeat(32));
        assertThat(refusal(v, tampered, device)).isEqualTo(Reason.LENGTH_OR_HASH_MISMATCH);
        assertThat(refusal(v, UnsignedTestDirector.assignment("x", "dev-1", "fw/other-hw.img", other, 1, false), device))
                .isEqualTo(Reason.HARDWARE_MISMATCH);
        assertThat(refusal(v, UnsignedTestDirector.assignment("x", "dev-1", "fw/old-sec.img", old, 1, false), device))
                .isEqualTo(Reason.SECURITY_VERSION_TOO_LOW);
        assertThat(refusal(v, UnsignedTestDirector.assignment("x", "dev-1", "fw/same.img", same, 1, false), device))
                .isEqualTo(Reason.ALREADY_INSTALLED);
        assertThat(refusal(v, UnsignedTestDirector.assignment("x", "dev-2", "fw/a.img", f, 1, false), device))
                .isEqualTo(Reason.NOT_FOR_THIS_DEVICE);
    }

    @Test
    void aReplayedOlderAssignmentIsRefused() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), server.metadataUrl());
        v.verify(UnsignedTestDirector.assignment("new", "dev-1", "fw/a.img", f, 5, false), device);
        assertThat(refusal(v, UnsignedTestDirector.assignment("old", "dev-1", "fw/a.img", f, 4, false), device))
                .isEqualTo(Reason.REPLAYED);
    }

    @Test
    void anotherAssignmentWithTheHighestAcceptedCounterIsAReplay() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        TargetFile g = r.add("fw/g.img", "other image".getBytes(), "board-a", "2.1.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), server.metadataUrl());
        v.verify(UnsignedTestDirector.assignment("first", "dev-1", "fw/a.img", f, 5, false), device);

        var sameCounter = UnsignedTestDirector.assignment("second", "dev-1", "fw/g.img", g, 5, false);

        assertThatThrownBy(() -> v.verify(sameCounter, device)).isInstanceOf(AssignmentRefused.class)
                .hasMessage("REPLAYED: counter 5 is not above the highest accepted 5, and this is not the assignment"
                        + " accepted with it");
        assertThat(v.verify(UnsignedTestDirector.assignment("third", "dev-1", "fw/g.img", g, 6, false), device)
                .counter()).isEqualTo(6);
    }

    @Test
    void theAcceptedAssignmentReadAgainPassesAlsoAfterARestart() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        r.publish();
        var held = UnsignedTestDirector.assignment("held", "dev-1", "fw/a.img", f, 5, false);
        verification(r, new UnsignedTestDirector(), server.metadataUrl()).verify(held, device);

        // a power cut before the update's first state was saved: the next agent is served the same assignment
        TufAssignmentVerification restarted = verification(r, new UnsignedTestDirector(), server.metadataUrl());

        assertThat(restarted.verify(held.deepCopy(), device).id()).isEqualTo("held");
    }

    @Test
    void aCounterFileOfAnOlderAgentLetsOnlyAHigherCounterPass() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), server.metadataUrl());
        java.nio.file.Files.writeString(dir.resolve("device/director-counter"), "5\n");

        assertThat(refusal(v, UnsignedTestDirector.assignment("a", "dev-1", "fw/a.img", f, 5, false), device))
                .isEqualTo(Reason.REPLAYED);
        assertThat(v.verify(UnsignedTestDirector.assignment("b", "dev-1", "fw/a.img", f, 6, false), device).id())
                .isEqualTo("b");
    }

    @Test
    void expiredMetadataIsRefused() throws Exception {
        Clock monthAgo = Clock.fixed(Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC);
        TestRepo r = repo(monthAgo);
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), server.metadataUrl());
        assertThat(refusal(v, UnsignedTestDirector.assignment("x", "dev-1", "fw/a.img", f, 1, false), device))
                .isEqualTo(Reason.METADATA_REFUSED);
    }

    @Test
    void anUnreachableRepositoryIsATransientErrorNotARefusal() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new UnsignedTestDirector(), URI.create("http://127.0.0.1:1/tuf/metadata/"));
        assertThatThrownBy(() -> v.verify(UnsignedTestDirector.assignment("x", "dev-1", "fw/a.img", f, 1, false), device))
                .isInstanceOf(IOException.class);
    }

    @Test
    void theDirectorAdapterRefusesAnAssignmentWithoutDirectorSignatures() throws Exception {
        TestRepo r = repo(Clock.systemUTC());
        TargetFile f = r.add("fw/a.img", image, "board-a", "2.0.0", 3);
        r.publish();
        TufAssignmentVerification v = verification(r, new DirectorAssignmentAdapter(Clock.systemUTC()), server.metadataUrl());
        assertThat(refusal(v, UnsignedTestDirector.assignment("x", "dev-1", "fw/a.img", f, 1, true), device))
                .isEqualTo(Reason.DIRECTOR_SIGNATURE);
    }
}
