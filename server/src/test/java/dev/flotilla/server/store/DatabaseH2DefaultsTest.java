package dev.flotilla.server.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DatabaseH2DefaultsTest {
    @TempDir
    Path dir;

    @Test
    void anEmbeddedH2UrlGetsTheServersDefaultsUnlessItSetsThem() {
        long gib = 1L << 30;
        assertThat(Database.h2Defaults("jdbc:h2:file:/d/f", 4 * gib))
                .isEqualTo("jdbc:h2:file:/d/f;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=131072;LOCK_TIMEOUT=30000;WRITE_DELAY=0");
        assertThat(Database.h2Defaults("jdbc:h2:file:/d/f", 256L << 20))
                .isEqualTo("jdbc:h2:file:/d/f;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=65536;LOCK_TIMEOUT=30000;WRITE_DELAY=0");
        assertThat(Database.h2Defaults("jdbc:h2:file:/d/f", 32L << 20))
                .isEqualTo("jdbc:h2:file:/d/f;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=16384;LOCK_TIMEOUT=30000;WRITE_DELAY=0");
        assertThat(Database.h2Defaults("jdbc:h2:file:/d/f;cache_size=4096;db_close_on_exit=true;lock_timeout=5;write_delay=100", 4 * gib))
                .isEqualTo("jdbc:h2:file:/d/f;cache_size=4096;db_close_on_exit=true;lock_timeout=5;write_delay=100");
        assertThat(Database.h2Defaults("jdbc:postgresql://localhost/flotilla", 4 * gib))
                .isEqualTo("jdbc:postgresql://localhost/flotilla");
    }

    @Test
    void theOpenedDatabaseRunsWithTheLargerCacheAndWritesEachCommitBeforeItReturns() {
        try (Database db = Database.open("jdbc:h2:file:" + dir.resolve("flotilla"))) {
            String size = db.jdbi().withHandle(h -> h.createQuery(
                    "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'CACHE_SIZE'")
                    .mapTo(String.class).one());
            long expected = Math.min(128L * 1024, Math.max(16L * 1024, Runtime.getRuntime().maxMemory() / 4 / 1024));
            assertThat(Long.parseLong(size)).isEqualTo(expected);
            int lockTimeout = db.jdbi().withHandle(h -> h.createQuery("SELECT LOCK_TIMEOUT()").mapTo(Integer.class).one());
            assertThat(lockTimeout).isEqualTo(30000);
            java.util.List<String> writeDelay = db.jdbi().withHandle(h -> h.createQuery(
                    "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")
                    .mapTo(String.class).list()); // H2 lists it twice (the URL's setting and the database's)
            assertThat(writeDelay).isNotEmpty().containsOnly("0");
        }
    }
}
