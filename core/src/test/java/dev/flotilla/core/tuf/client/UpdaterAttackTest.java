package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.RepositoryError.Reason;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The attacks of the TUF specification (section 1.5.2) against the real {@link Updater} over HTTP:
 * arbitrary installation, endless data, extraneous dependencies, indefinite freeze, malicious mirrors,
 * mix-and-match. Each test checks the reason the client gives and that its trusted state is kept.
 */
class UpdaterAttackTest {
    @TempDir
    Path dir;
    RepositorySimulator sim;
    TestClient client;

    @BeforeEach
    void setUp() {
        sim = RepositorySimulator.started();
        client = new TestClient(sim, dir);
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String targetUrlPath(TargetFile tf, String path) {
        int slash = path.lastIndexOf('/');
        return "targets/" + path.substring(0, slash + 1) + tf.sha256() + "." + path.substring(slash + 1);
    }

    private List<Path> targetDirContents() throws Exception {
        Path t = dir.resolve("targets");
        if (!Files.exists(t)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(t)) {
            return s.toList();
        }
    }

    // ------------------------------------------------------------ arbitrary installation

    @Test
    void downloadRefusesTargetWhoseBytesWereReplaced() throws Exception {
        TargetFile tf = sim.addTarget("targets", "firmware.bin", utf8("good firmware"));
        sim.publish("targets");
        Updater u = client.refresh();
        TargetInfo info = u.getTargetInfo("firmware.bin").orElseThrow();
        sim.override(targetUrlPath(tf, "firmware.bin"), utf8("evil firmware"));

        RepositoryError e = catchThrowableOfType(RepositoryError.class,
                () -> u.downloadTarget(info, u.defaultTargetPath(info)));

        assertThat(e.reason()).isEqualTo(Reason.LENGTH_OR_HASH_MISMATCH);
        assertThat(targetDirContents()).as("nothing left behind").isEmpty();
        sim.clearOverrides();
        Path ok = u.downloadTarget(info, u.defaultTargetPath(info));
        assertThat(Files.readString(ok)).isEqualTo("good firmware");
    }

    @Test
    void refreshRejectsTargetsEntryNotSignedByTargetsKey() {
        sim.hashesInMeta = false;
        sim.publish("targets");
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        // the repository publishes targets v3; an attacker replaces it with one listing its own file
        sim.addTarget("targets", "firmware.bin", utf8("good"));
        sim.publish("targets");
        TestSigner attacker = TestSigner.ed25519();
        Targets legit = sim.targets("targets", 3);
        sim.addTarget("targets", "evil.bin", utf8("evil"));
        Targets withEvil = sim.targets("targets", 3);
        assertThat(withEvil.targets()).hasSize(legit.targets().size() + 1);
        sim.override("metadata/3.targets.json", RepositorySimulator.sign(withEvil, List.of(attacker)));

        client.refreshFails(Reason.UNSIGNED);

        assertThat(client.localFiles().get("targets.json")).isEqualTo(before.get("targets.json"));
        assertThat(client.localVersion("targets.json")).isEqualTo(trustedBefore.get("targets")).isEqualTo(2);
        // the legitimate snapshot v3 is trusted, and with it the old targets v2 no longer is
        assertThat(client.locallyTrusted()).containsEntry("snapshot", 3L).doesNotContainKey("targets");
        sim.clearOverrides();
        Updater u = client.refresh();
        assertThat(u.getTargetInfo("evil.bin")).isEmpty();
        assertThat(client.locallyTrusted()).containsEntry("targets", 3L);
    }

    @Test
    void refreshRejectsTargetsChangedAfterSnapshotHashedThem() {
        sim.addTarget("targets", "firmware.bin", utf8("good"));
        sim.publish("targets");
        byte[] legit = sim.latest("targets");
        Metadata<Targets> md = Metadata.fromBytes(legit, Targets.class);
        // same signatures, same length, other firmware: the snapshot's hash no longer matches
        TargetFile good = md.signed().targets().get("firmware.bin");
        sim.addTarget("targets", "firmware.bin", utf8("evil"));
        Targets withEvil = sim.targets("targets", 2);
        byte[] forged = Metadata.of(withEvil).withSignatures(md.signatures()).toBytes();
        assertThat(forged).hasSameSizeAs(legit).isNotEqualTo(legit);
        sim.override("metadata/2.targets.json", forged);

        client.refreshFails(Reason.LENGTH_OR_HASH_MISMATCH);

        assertThat(client.local("targets.json")).isEmpty();
        sim.clearOverrides();
        assertThat(client.refresh().getTargetInfo("firmware.bin")).get()
                .extracting(TargetInfo::file).isEqualTo(good);
        assertThat(client.localVersion("targets.json")).isEqualTo(2);
    }

    // ------------------------------------------------------------ endless data

    @Test
    void refreshStopsReadingAnEndlessTimestamp() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.override("metadata/timestamp.json", RepositorySimulator.endless());

        client.refreshFailsToDownload(DownloadError.Kind.TOO_LONG);

        client.assertStateKept(before, trustedBefore);
    }

    @Test
    void refreshStopsReadingAnEndlessRootAndSnapshotAndTargets() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.publishRoot();
        sim.override("metadata/2.root.json", RepositorySimulator.endless());
        client.refreshFailsToDownload(DownloadError.Kind.TOO_LONG);
        client.assertStateKept(before, trustedBefore);

        sim.clearOverrides();
        sim.hashesInMeta = false;   // no signed length: the configured caps apply
        sim.publish("targets");
        sim.override("metadata/2.snapshot.json", RepositorySimulator.endless());
        client.refreshFailsToDownload(DownloadError.Kind.TOO_LONG);
        assertThat(client.localVersion("snapshot.json")).isEqualTo(1);
        assertThat(client.locallyTrusted()).containsEntry("timestamp", 2L).doesNotContainKey("snapshot");

        sim.clearOverrides();
        sim.override("metadata/2.targets.json", RepositorySimulator.endless());
        client.refreshFailsToDownload(DownloadError.Kind.TOO_LONG);
        assertThat(client.localVersion("targets.json")).isEqualTo(1);
        assertThat(client.locallyTrusted()).containsEntry("snapshot", 2L).doesNotContainKey("targets");
    }

    @Test
    void aHugeSnapshotLengthSignedByAStolenTimestampKeyDoesNotRaiseTheCap() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        // the thief of the online timestamp key declares a 1 GiB snapshot version 2 and serves an endless one
        Timestamp legit = Metadata.fromBytes(sim.latest("timestamp"), Timestamp.class).signed();
        Timestamp evil = new Timestamp(legit.specVersion(), 2, legit.expires(),
                new MetaFile(2, 1L << 30, Map.of("sha256", "00".repeat(32)), Map.of()), Map.of());
        sim.override("metadata/timestamp.json", RepositorySimulator.sign(evil, sim.signers("timestamp")));
        sim.override("metadata/2.snapshot.json", RepositorySimulator.endless());
        AtomicLong read = new AtomicLong();
        Fetcher counting = uri -> new CountingStream(new HttpFetcher().open(uri), read, 32L << 20);

        DownloadError e = catchThrowableOfType(DownloadError.class,
                () -> new Updater(client.config(), counting, client.clock).refresh());

        assertThat(e).as("refresh must fail in transport").isNotNull();
        assertThat(e.kind()).as(e.getMessage()).isEqualTo(DownloadError.Kind.TOO_LONG);
        assertThat(e).hasMessageContaining("longer than " + client.config().snapshotMaxLength() + " bytes");
        assertThat(read.get()).as("bytes read before stopping")
                .isLessThanOrEqualTo(client.config().rootMaxLength() + client.config().snapshotMaxLength() + 65536);
        assertThat(client.localFiles().get("snapshot.json")).as("snapshot kept").isEqualTo(before.get("snapshot.json"));
    }

    /** Counts what the client reads, and stops it (as an I/O error) once it read far more than any cap. */
    private static final class CountingStream extends java.io.FilterInputStream {
        private final AtomicLong read;
        private final long stopAt;

        CountingStream(java.io.InputStream in, AtomicLong read, long stopAt) {
            super(in);
            this.read = read;
            this.stopAt = stopAt;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
            int n = super.read(b, off, len);
            if (n > 0 && read.addAndGet(n) > stopAt) {
                throw new java.io.IOException("the client read " + read.get() + " bytes");
            }
            return n;
        }
    }

    @Test
    void downloadStopsReadingAnEndlessTarget() throws Exception {
        TargetFile tf = sim.addTarget("targets", "firmware.bin", utf8("firmware"));
        sim.publish("targets");
        Updater u = client.refresh();
        TargetInfo info = u.getTargetInfo("firmware.bin").orElseThrow();
        sim.override(targetUrlPath(tf, "firmware.bin"), RepositorySimulator.endless());

        DownloadError e = catchThrowableOfType(DownloadError.class,
                () -> u.downloadTarget(info, u.defaultTargetPath(info)));

        assertThat(e.kind()).isEqualTo(DownloadError.Kind.TOO_LONG);
        assertThat(targetDirContents()).isEmpty();
    }

    @Test
    void refreshGivesUpOnAServerThatStallsMidResponse() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.override("metadata/timestamp.json", ex -> {
            ex.sendResponseHeaders(200, 1000);
            ex.getResponseBody().write('{');
            ex.getResponseBody().flush();
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Updater u = new Updater(client.config(), new HttpFetcher(Duration.ofSeconds(1), Duration.ofMillis(500)),
                client.clock);
        long start = System.nanoTime();

        DownloadError e = catchThrowableOfType(DownloadError.class, u::refresh);

        assertThat(e.kind()).isEqualTo(DownloadError.Kind.IO);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        client.assertStateKept(before, trustedBefore);
    }

    @Test
    void slowRetrievalBelowTheMinimumSpeedIsAbortedAndStateKept() throws Exception {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        // One byte every 100 ms: every read beats the 500 ms read timeout, but the average is 10 bytes/s.
        sim.override("metadata/timestamp.json", ex -> {
            ex.sendResponseHeaders(200, 1000);
            try {
                for (int i = 0; i < 1000; i++) {
                    ex.getResponseBody().write(' ');
                    ex.getResponseBody().flush();
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.io.IOException e) {
                // the client hung up: expected
            }
        });
        Updater u = new Updater(client.config(),
                new HttpFetcher(Duration.ofSeconds(1), Duration.ofMillis(500), 100, Duration.ofSeconds(1)), client.clock);
        long start = System.nanoTime();

        DownloadError e = catchThrowableOfType(DownloadError.class, u::refresh);

        assertThat(e.kind()).isEqualTo(DownloadError.Kind.IO);
        assertThat(e.getMessage()).contains("slower than the minimum of 100 bytes/s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        client.assertStateKept(before, trustedBefore);
    }

    // ------------------------------------------------------------ extraneous dependencies

    @Test
    void targetSearchRejectsDelegatedRoleSignedByKeyNotDelegatedForIt() {
        TestSigner delegated = TestSigner.ecdsa();
        TestSigner other = TestSigner.ecdsa();
        sim.delegate("targets", "apps", List.of("apps/*"), false, delegated);
        sim.addTarget("apps", "apps/tool", utf8("tool"));
        sim.setSigners("apps", other);
        sim.publish("targets", "apps");
        Updater u = client.refresh();

        RepositoryError e = catchThrowableOfType(RepositoryError.class, () -> u.getTargetInfo("apps/tool"));

        assertThat(e.reason()).isEqualTo(Reason.UNSIGNED);
        assertThat(client.local("apps.json")).isEmpty();
    }

    @Test
    void targetSearchIgnoresTargetOutsideTheDelegatedPaths() {
        TestSigner delegated = TestSigner.rsa();
        sim.delegate("targets", "apps", List.of("apps/*"), false, delegated);
        sim.addTarget("apps", "apps/tool", utf8("tool"));
        sim.addTarget("apps", "firmware/evil.bin", utf8("evil"));
        sim.publish("targets", "apps");
        Updater u = client.refresh();

        assertThat(u.getTargetInfo("firmware/evil.bin")).isEmpty();
        assertThat(u.getTargetInfo("apps/tool")).get().extracting(TargetInfo::role).isEqualTo("apps");
    }

    // ------------------------------------------------------------ indefinite freeze

    @Test
    void refreshRejectsExpiredTimestamp() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.setExpires("timestamp", RepositorySimulator.NOW.minusSeconds(1));
        sim.publishTimestamp();

        client.refreshFails(Reason.EXPIRED);

        client.assertStateKept(before, trustedBefore);
    }

    @Test
    void refreshRejectsExpiredSnapshotAndTargets() {
        client.refresh();
        sim.setExpires("snapshot", RepositorySimulator.NOW);
        sim.publish();
        client.refreshFails(Reason.EXPIRED);
        assertThat(client.localVersion("snapshot.json")).isEqualTo(1);

        sim.setExpires("snapshot", RepositorySimulator.DEFAULT_EXPIRES);
        sim.setExpires("targets", RepositorySimulator.NOW.minus(Duration.ofDays(1)));
        sim.publish("targets");
        client.refreshFails(Reason.EXPIRED);
        assertThat(client.localVersion("targets.json")).isEqualTo(1);
        assertThat(client.locallyTrusted()).containsEntry("snapshot", 3L).doesNotContainKey("targets");
    }

    @Test
    void refreshRejectsExpiredRoot() {
        client.refresh();
        sim.setExpires("root", RepositorySimulator.NOW.minusSeconds(3600));
        sim.publishRoot();

        client.refreshFails(Reason.EXPIRED);

        assertThat(client.localVersion("root.json")).as("a valid root chain is kept").isEqualTo(2);
        assertThat(client.localVersion("timestamp.json")).isEqualTo(1);
    }

    @Test
    void refreshRejectsFrozenRepositoryOnceClockPassesExpiry() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        client.clock = java.time.Clock.fixed(RepositorySimulator.DEFAULT_EXPIRES.plusSeconds(1),
                java.time.ZoneOffset.UTC);

        client.refreshFails(Reason.EXPIRED);

        assertThat(client.localFiles()).isEqualTo(before);
    }

    // ------------------------------------------------------------ malicious mirrors

    @Test
    void refreshRejectsMirrorServingValidButOldTimestamp() {
        byte[] old = sim.latest("timestamp");
        sim.publish();
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        sim.override("metadata/timestamp.json", old);

        client.refreshFails(Reason.BAD_VERSION);

        client.assertStateKept(before, trustedBefore);
    }

    @Test
    void refreshRejectsMirrorServingOldSnapshotUnderNewName() {
        sim.hashesInMeta = false;
        sim.publish();
        byte[] oldSnapshot = sim.latest("snapshot");
        client.refresh();
        Map<String, String> before = client.localFiles();
        sim.publish();
        sim.override("metadata/3.snapshot.json", oldSnapshot);

        client.refreshFails(Reason.BAD_VERSION);

        assertThat(client.localFiles().get("snapshot.json")).isEqualTo(before.get("snapshot.json"));
        assertThat(client.locallyTrusted()).containsEntry("timestamp", 3L).doesNotContainKey("snapshot");
    }

    @Test
    void refreshRejectsMirrorServingMetadataSignedByWrongKeys() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        Map<String, Long> trustedBefore = client.locallyTrusted();
        Timestamp legit = Metadata.fromBytes(sim.latest("timestamp"), Timestamp.class).signed();
        Timestamp next = new Timestamp(legit.specVersion(), 9, legit.expires(), legit.snapshotMeta(), Map.of());
        sim.override("metadata/timestamp.json", RepositorySimulator.sign(next, List.of(TestSigner.ecdsa())));

        client.refreshFails(Reason.UNSIGNED);

        client.assertStateKept(before, trustedBefore);
    }

    // ------------------------------------------------------------ mix-and-match

    @Test
    void refreshRejectsTargetsVersionNotMatchingSnapshot() {
        sim.hashesInMeta = false;
        byte[] targetsV1 = sim.latest("targets");
        client.refresh();
        sim.publish("targets");
        sim.override("metadata/2.targets.json", targetsV1);

        client.refreshFails(Reason.BAD_VERSION);

        assertThat(client.localVersion("targets.json")).isEqualTo(1);
        assertThat(client.locallyTrusted()).containsEntry("snapshot", 2L).doesNotContainKey("targets");
    }

    @Test
    void refreshRejectsSnapshotWhoseHashDoesNotMatchTimestamp() {
        client.refresh();
        Map<String, String> before = client.localFiles();
        sim.publish("targets");
        // a snapshot with the right version and a valid signature, but not the one the timestamp hashed
        sim.setVersion("snapshot", 1);
        sim.setExpires("snapshot", RepositorySimulator.DEFAULT_EXPIRES.minusSeconds(60));
        byte[] other = sim.publishSnapshot();
        assertThat(Metadata.fromBytes(other).signed().version()).isEqualTo(2);
        sim.setVersion("snapshot", 1);
        sim.setExpires("snapshot", RepositorySimulator.DEFAULT_EXPIRES);
        sim.publishSnapshot();
        sim.publishTimestamp();
        sim.override("metadata/2.snapshot.json", other);

        client.refreshFails(Reason.LENGTH_OR_HASH_MISMATCH);

        assertThat(client.localFiles().get("snapshot.json")).isEqualTo(before.get("snapshot.json"));
        assertThat(client.localVersion("timestamp.json")).isEqualTo(3);
    }

    static Signed signedOf(byte[] b) {
        return Metadata.fromBytes(b).signed();
    }
}
