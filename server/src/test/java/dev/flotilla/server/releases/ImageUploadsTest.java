package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.server.artifacts.LocalArtifactStore;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.trust.TufStore;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Staged uploads and the TUF store on H2 and PostgreSQL. */
class ImageUploadsTest {
    private static final Actor RM = new Actor("token", "tok_rm", "release-manager");

    @TempDir
    Path dir;

    private long files(String sub) throws Exception {
        Path d = dir.resolve(sub);
        if (!Files.exists(d)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    /** Stored images, and no stray staging file (a failed put leaves none). */
    private long storedFiles() throws Exception {
        assertThat(files("staging")).isZero();
        return files("artifacts");
    }

    @StoreTest
    void receivesHashesRefusesOversizeAndPurgesStaleUploads(TestDatabase tdb) throws Exception {
        MutableClock clock = new MutableClock();
        try (Database db = Database.open(tdb.jdbcUrl())) {
            ImageUploads uploads = new ImageUploads(db.jdbi(), new LocalArtifactStore(dir), 1000, clock);
            byte[] image = "an image".getBytes(StandardCharsets.UTF_8);
            ImageUploads.Upload u = uploads.receive(new ByteArrayInputStream(image), -1, RM);
            assertThat(u.length()).isEqualTo(image.length);
            assertThat(u.sha256()).isEqualTo(Digests.sha256Hex(image));
            assertThat(Files.readAllBytes(dir.resolve(ImageUploads.key(u.uploadId())))).isEqualTo(image);

            // oversize: undeclared length, refused while streaming; declared length, refused before reading
            assertThatThrownBy(() -> uploads.receive(new ByteArrayInputStream(new byte[1001]), -1, RM))
                    .isInstanceOfSatisfying(DomainError.TooLarge.class,
                            e -> assertThat(e.code()).isEqualTo("payload_too_large"));
            InputStream never = new InputStream() {
                @Override
                public int read() {
                    throw new AssertionError("read although the declared length is too large");
                }
            };
            assertThatThrownBy(() -> uploads.receive(never, 5000, RM)).isInstanceOf(DomainError.TooLarge.class);
            assertThat(storedFiles()).isEqualTo(1);

            clock.advance(Duration.ofHours(7));
            ImageUploads.Upload fresh = uploads.receive(new ByteArrayInputStream(image), image.length, RM);
            assertThat(uploads.purgeOlderThan(Duration.ofHours(6))).isEqualTo(1);
            java.util.Optional<ImageUploads.Upload> gone = db.jdbi().withHandle(h -> uploads.find(h, u.uploadId()));
            java.util.Optional<ImageUploads.Upload> kept = db.jdbi().withHandle(h -> uploads.find(h, fresh.uploadId()));
            assertThat(gone).isEmpty();
            assertThat(kept).isPresent();
            assertThat(storedFiles()).isEqualTo(1);
        }
    }

    @StoreTest
    void tufStoreKeepsLargeFilesAndRefusesAReusedVersion(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            TufStore store = new TufStore();
            byte[] big = ("{\"x\":\"" + "a".repeat(3_000_000) + "\"}").getBytes(StandardCharsets.UTF_8);
            Instant exp = Instant.parse("2030-01-01T00:00:00Z");
            db.jdbi().useHandle(h -> store.insert(h, "targets", 1, big, exp, 0));
            assertThat(db.jdbi().withHandle(h -> store.latest(h, "targets")).orElseThrow().bytes()).isEqualTo(big);
            assertThatThrownBy(() -> db.jdbi().useHandle(h -> store.insert(h, "targets", 1, big, exp, 0)))
                    .hasRootCauseInstanceOf(java.sql.SQLException.class);
        }
    }
}
