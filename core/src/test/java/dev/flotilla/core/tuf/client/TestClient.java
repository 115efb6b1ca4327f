package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Signed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A client of a {@link RepositorySimulator}: a directory, a real {@link Updater} and {@link HttpFetcher}. */
final class TestClient {
    final RepositorySimulator sim;
    final Path dir;
    final Path metadataDir;
    Clock clock = RepositorySimulator.CLOCK;

    /** A client that trusts root version 1 of the simulator. */
    TestClient(RepositorySimulator sim, Path dir) {
        this(sim, dir, sim.root(1));
    }

    TestClient(RepositorySimulator sim, Path dir, byte[] trustedRoot) {
        this.sim = sim;
        this.dir = dir;
        this.metadataDir = dir.resolve("metadata");
        Updater.initialize(metadataDir, trustedRoot);
    }

    UpdaterConfig config() {
        return sim.config(dir);
    }

    Updater updater() {
        return new Updater(config(), new HttpFetcher(Duration.ofSeconds(5), Duration.ofSeconds(10)), clock);
    }

    /** A fresh updater (as after a restart) that has refreshed. */
    Updater refresh() {
        Updater u = updater();
        u.refresh();
        return u;
    }

    RepositoryError refreshFails(RepositoryError.Reason reason) {
        RepositoryError e = catchThrowableOfType(RepositoryError.class, () -> updater().refresh());
        assertThat(e).as("refresh must be refused").isNotNull();
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
        return e;
    }

    DownloadError refreshFailsToDownload(DownloadError.Kind kind) {
        DownloadError e = catchThrowableOfType(DownloadError.class, () -> updater().refresh());
        assertThat(e).as("refresh must fail in transport").isNotNull();
        assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
        return e;
    }

    /** The files in the metadata directory, by name. */
    Map<String, String> localFiles() {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(metadataDir)) {
            s.filter(Files::isRegularFile).forEach(p -> out.put(p.getFileName().toString(), read(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Arrays.toString(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Optional<byte[]> local(String fileName) {
        Path p = metadataDir.resolve(fileName);
        try {
            return Files.isRegularFile(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The version of a local metadata file, or 0 when absent. */
    long localVersion(String fileName) {
        return local(fileName).map(b -> Metadata.fromBytes(b).signed().version()).orElse(0L);
    }

    /**
     * What a new refresh would start from: the local files loaded offline into a trusted set the way the
     * updater loads them (each step that fails is skipped), as role to version.
     */
    Map<String, Long> locallyTrusted() {
        Map<String, Long> out = new TreeMap<>();
        TrustedMetadataSet set = new TrustedMetadataSet(local("root.json").orElseThrow(), clock.instant());
        out.put("root", set.root().signed().version());
        try {
            set.updateTimestamp(local("timestamp.json").orElseThrow());
            out.put("timestamp", set.timestamp().orElseThrow().signed().version());
            set.updateSnapshot(local("snapshot.json").orElseThrow(), true);
            out.put("snapshot", set.snapshot().orElseThrow().signed().version());
            set.updateTargets(local("targets.json").orElseThrow());
            out.put("targets", set.targets("targets").orElseThrow().signed().version());
        } catch (RepositoryError | java.util.NoSuchElementException e) {
            // what is not loadable is not trusted
        }
        return out;
    }

    /** Asserts the metadata directory holds exactly {@code before} and a new refresh would start from it. */
    void assertStateKept(Map<String, String> before, Map<String, Long> trustedBefore) {
        assertThat(localFiles()).as("metadata directory unchanged").isEqualTo(before);
        assertThat(locallyTrusted()).as("locally trusted versions unchanged").isEqualTo(trustedBefore);
    }

    static String type(byte[] b) {
        return Metadata.fromBytes(b).signed().type();
    }
}
