package dev.flotilla.server.store;

import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compaction of an embedded H2 file, which H2 does not do itself with {@code WRITE_DELAY=0}: the same
 * commits (appends, as of device events, between updates of random rows) on two databases, one compacted as the
 * server does, one not. H2's retention time is 0 here, so that an emptied chunk is freed at once, not 45 s later.
 */
class H2CompactionTest {
    private static final int COMMITS = 6_000;

    @TempDir
    Path dir;

    @Test
    void theCompactedFileStaysAFractionOfTheSizeOfTheSameCommitsUncompacted() throws IOException {
        long plain = sizeAfterCommits("plain", false);
        long compacted = sizeAfterCommits("compacted", true);
        // measured: 51.3 MB plain against 14.4 MB compacted
        assertThat(compacted).isLessThan(plain / 2);
    }

    @Test
    void thereIsNothingToCompactInAMemoryDatabase() {
        try (Database db = Database.open("jdbc:h2:mem:compaction;DB_CLOSE_DELAY=-1")) {
            assertThat(H2Compaction.of(db)).isEmpty();
        }
    }

    private long sizeAfterCommits(String name, boolean compact) throws IOException {
        Path file = dir.resolve(name + ".mv.db");
        try (Database db = Database.open("jdbc:h2:file:" + dir.resolve(name) + ";RETENTION_TIME=0")) {
            H2Compaction compaction = H2Compaction.of(db).orElseThrow();
            db.jdbi().useHandle(H2CompactionTest::createTables);
            Random random = new Random(7);
            for (int i = 1; i <= COMMITS; i++) {
                int n = i;
                db.jdbi().useHandle(h -> commitOne(h, n, random));
                if (compact && i % 100 == 0) {
                    compaction.compact();
                }
            }
            if (compact) {
                assertThat(compaction.chunksFillRate()).isGreaterThanOrEqualTo(30);
            }
            return Files.size(file);
        }
    }

    private static void createTables(Handle h) {
        h.execute("CREATE TABLE scratch_rows (id INT PRIMARY KEY, v BIGINT, s VARCHAR(1000))");
        h.execute("CREATE TABLE scratch_events"
                + " (id BIGINT AUTO_INCREMENT PRIMARY KEY, d INT, at BIGINT, s VARCHAR(400))");
        h.execute("CREATE INDEX scratch_events_d ON scratch_events (d, at)");
        h.execute("INSERT INTO scratch_rows SELECT X, X, REPEAT('x', 500) FROM SYSTEM_RANGE(1, 5000)");
    }

    private static void commitOne(Handle h, int n, Random random) {
        if (n % 2 == 0) {
            h.execute("UPDATE scratch_rows SET v = ? WHERE id = ?", random.nextLong(), 1 + random.nextInt(5000));
        } else {
            h.execute("INSERT INTO scratch_events (d, at, s) VALUES (?, ?, ?)",
                    random.nextInt(5000), n, "y".repeat(300));
        }
    }
}
