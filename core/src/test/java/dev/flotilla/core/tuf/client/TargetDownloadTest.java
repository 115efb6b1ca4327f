package dev.flotilla.core.tuf.client;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.TargetFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Target layout and caching: subdirectories, hash-prefixed names, no consistent snapshots, the local cache. */
class TargetDownloadTest {
    @TempDir
    Path dir;
    RepositorySimulator sim;

    @AfterEach
    void tearDown() {
        if (sim != null) {
            sim.close();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void targetInSubdirectoryIsFetchedWithHashPrefixedBasename() throws Exception {
        sim = RepositorySimulator.started();
        TestClient client = new TestClient(sim, dir);
        String sha = sim.addTarget("targets", "boards/rev b/fw.bin", utf8("firmware")).sha256();
        sim.publish("targets");
        Updater u = client.refresh();
        TargetInfo info = u.getTargetInfo("boards/rev b/fw.bin").orElseThrow();

        Path file = u.downloadTarget(info, u.defaultTargetPath(info));

        assertThat(sim.rawRequestPaths()).contains("/targets/boards/rev%20b/" + sha + ".fw.bin");
        assertThat(sim.fetchCount("targets/boards/rev b/fw.bin")).isZero();
        assertThat(file.getFileName().toString()).isEqualTo("boards%2Frev%20b%2Ffw.bin");
        assertThat(Files.readString(file)).isEqualTo("firmware");
    }

    @Test
    void targetsNamedOnlyByDotsStayInsideTheTargetDirectory() throws Exception {
        sim = RepositorySimulator.started();
        TestClient client = new TestClient(sim, dir);
        sim.addTarget("targets", "..", utf8("dot dot"));
        sim.addTarget("targets", ".", utf8("dot"));
        sim.publish("targets");
        Updater u = client.refresh();
        Path targetDir = dir.resolve("targets");

        for (String name : new String[] {"..", "."}) {
            TargetInfo info = u.getTargetInfo(name).orElseThrow();
            Path file = u.defaultTargetPath(info);
            assertThat(file.getParent()).isEqualTo(targetDir);
            assertThat(file.getFileName().toString()).isEqualTo("%2E".repeat(name.length()));
            assertThat(Files.readString(u.downloadTarget(info, file))).isEqualTo(name.length() == 2 ? "dot dot" : "dot");
        }
    }

    @Test
    void repositoryWithoutConsistentSnapshotsIsServedByPlainNames() throws Exception {
        sim = new RepositorySimulator();
        sim.setConsistentSnapshot(false);
        sim.publishRoot();
        sim.addTarget("targets", "fw.bin", utf8("plain"));
        sim.publish("targets");
        TestClient client = new TestClient(sim, dir);
        Updater u = client.refresh();
        TargetInfo info = u.getTargetInfo("fw.bin").orElseThrow();
        Path file = u.downloadTarget(info, u.defaultTargetPath(info));

        assertThat(Files.readString(file)).isEqualTo("plain");
        assertThat(sim.rawRequestPaths()).containsExactly("/metadata/2.root.json", "/metadata/timestamp.json",
                "/metadata/snapshot.json", "/metadata/targets.json", "/targets/fw.bin");

        sim.addTarget("targets", "fw.bin", utf8("newer"));
        sim.publish("targets");
        Updater next = client.refresh();
        TargetInfo newer = next.getTargetInfo("fw.bin").orElseThrow();
        assertThat(Files.readString(next.downloadTarget(newer, next.defaultTargetPath(newer)))).isEqualTo("newer");
        assertThat(client.locallyTrusted()).containsEntry("targets", 2L).containsEntry("snapshot", 2L);
    }

    @Test
    void cachedTargetWithMatchingHashesIsNotFetchedAgain() throws Exception {
        sim = RepositorySimulator.started();
        TestClient client = new TestClient(sim, dir);
        String sha = sim.addTarget("targets", "fw.bin", utf8("cached firmware")).sha256();
        sim.publish("targets");
        String url = "targets/" + sha + ".fw.bin";
        Updater u = client.refresh();
        TargetInfo info = u.getTargetInfo("fw.bin").orElseThrow();
        Path path = u.defaultTargetPath(info);
        assertThat(u.findCachedTarget(info, path)).isEmpty();
        u.downloadTarget(info, path);
        assertThat(sim.fetchCount(url)).isEqualTo(1);

        Updater restarted = client.refresh();
        TargetInfo again = restarted.getTargetInfo("fw.bin").orElseThrow();
        assertThat(restarted.findCachedTarget(again, path)).contains(path);
        assertThat(sim.fetchCount(url)).isEqualTo(1);
        assertThat(sim.fetchCount("metadata/timestamp.json")).isEqualTo(2);
        assertThat(sim.fetchCount("metadata/2.snapshot.json")).as("local snapshot reused").isEqualTo(1);
        assertThat(sim.fetchCount("metadata/2.targets.json")).as("local targets reused").isEqualTo(1);

        Files.writeString(path, "cached firmwarX");   // same length, other bytes
        assertThat(restarted.findCachedTarget(again, path)).isEmpty();
        restarted.downloadTarget(again, path);
        assertThat(sim.fetchCount(url)).isEqualTo(2);
        assertThat(Files.readString(path)).isEqualTo("cached firmware");
    }

    @Test
    void targetListingSeveralHashesMustMatchEveryOne() throws Exception {
        sim = RepositorySimulator.started();
        TestClient client = new TestClient(sim, dir);
        byte[] data = utf8("abc");
        Map<String, String> hashes = new LinkedHashMap<>();
        hashes.put("sha256", Digests.sha256Hex(data));
        hashes.put("sha512", Hex.encode(Digests.create("sha512").digest(utf8("abd"))));
        hashes.put("blake2b-256", "00");   // unknown algorithms are skipped
        sim.addTargetEntry("targets", "bad.bin", new TargetFile(3, hashes, null, Map.of()), data);
        hashes.put("sha512", Hex.encode(Digests.create("sha512").digest(data)));
        sim.addTargetEntry("targets", "good.bin", new TargetFile(3, hashes, null, Map.of()), data);
        sim.publish("targets");
        Updater u = client.refresh();
        TargetInfo bad = u.getTargetInfo("bad.bin").orElseThrow();
        TargetInfo good = u.getTargetInfo("good.bin").orElseThrow();

        assertThatThrownBy(() -> u.downloadTarget(bad, u.defaultTargetPath(bad)))
                .isInstanceOfSatisfying(RepositoryError.class,
                        e -> assertThat(e.reason()).isEqualTo(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH));
        assertThat(u.defaultTargetPath(bad)).doesNotExist();
        assertThat(u.downloadTarget(good, u.defaultTargetPath(good))).hasBinaryContent(data);
    }
}
