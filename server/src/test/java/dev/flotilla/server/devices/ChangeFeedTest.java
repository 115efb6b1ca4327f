package dev.flotilla.server.devices;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.BothDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's device change feed against a real database: which writes it reports, that a transaction
 * committing after a later one is still read, the lease, starting over after a long gap, and trimming.
 */
class ChangeFeedTest {
    private Database db;
    private IdleCache cache;
    private ChangeFeed feed;
    private final List<String> ids = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = Database.open(BothDatabases.postgres().jdbcUrl());
        List<BulkRegistration.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = "dev_feed_" + i;
            ids.add(id);
            entries.add(new BulkRegistration.Entry(id, Key.of(KeyType.ED25519, KeyPairs.generate(KeyType.ED25519).getPublic()),
                    "board-a", "fld_token_" + i, "{\"signed\":{},\"signatures\":[]}".getBytes()));
        }
        BulkRegistration.register(db.jdbi(), entries, Clock.systemUTC(), Duration.ofHours(1));
        cache = new IdleCache(100);
        feed = ChangeFeed.unstarted(db.dataSource(), cache);
    }

    @AfterEach
    void tearDown() {
        feed.close();
        db.close();
    }

    private void cacheAll() {
        for (String id : ids) {
            cache.put(id, new IdleCache.Entry("a".repeat(64), Long.MAX_VALUE, "b".repeat(64), null), cache.stamp());
        }
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate(statement);
        }
    }

    private List<String> cached() {
        return ids.stream().filter(id -> cache.get(id) != null).toList();
    }

    @Test
    void reportsTheWritesThatCanChangeAnIdleAnswerAndNotLastSeen() throws SQLException {
        feed.read(System.nanoTime());
        cacheAll();
        sql("UPDATE devices SET last_seen_at = 1 WHERE id = 'dev_feed_0'");
        sql("UPDATE devices SET status = 'decommissioned' WHERE id = 'dev_feed_1'");
        sql("DELETE FROM device_sessions WHERE device_id = 'dev_feed_2'");
        sql("UPDATE device_manifests SET envelope_hash = 'x' WHERE device_id = 'dev_feed_3'");
        sql("DELETE FROM device_manifests WHERE device_id = 'dev_feed_4'");
        assertThat(cached()).hasSize(6);
        feed.read(System.nanoTime());
        assertThat(cached()).containsExactly("dev_feed_0", "dev_feed_5");
        feed.read(System.nanoTime());
        assertThat(cached()).as("each change is read once").containsExactly("dev_feed_0", "dev_feed_5");
    }

    @Test
    void aTransactionThatCommitsAfterALaterOneIsStillRead() throws SQLException {
        feed.read(System.nanoTime());
        cacheAll();
        try (Connection slow = db.dataSource().getConnection()) {
            slow.setAutoCommit(false);
            try (Statement s = slow.createStatement()) {
                s.executeUpdate("UPDATE device_manifests SET envelope_hash = 'slow' WHERE device_id = 'dev_feed_0'");
            }
            // a later transaction takes a higher change number and commits first
            sql("UPDATE device_manifests SET envelope_hash = 'fast' WHERE device_id = 'dev_feed_1'");
            feed.read(System.nanoTime());
            assertThat(cache.get("dev_feed_1")).isNull();
            assertThat(cache.get("dev_feed_0")).as("not committed yet").isNotNull();
            slow.commit();
        }
        feed.read(System.nanoTime());
        assertThat(cache.get("dev_feed_0")).as("committed after a later change was read").isNull();
        assertThat(cached()).containsExactly("dev_feed_2", "dev_feed_3", "dev_feed_4", "dev_feed_5");
    }

    @Test
    void theCacheAnswersOnlyWithinTheLeaseOfTheLatestRead() throws SQLException {
        assertThat(feed.current()).as("before the first read").isFalse();
        feed.read(System.nanoTime());
        assertThat(feed.current()).isTrue();
        feed.read(System.nanoTime() - CheckIns.DEFAULT_CACHE_LEASE.toNanos() - 1);
        assertThat(feed.current()).as("the latest read began more than a lease ago").isFalse();
    }

    /** A lease of ten seconds, read five seconds ago: current, where the default half second would not be. */
    @Test
    void aConfiguredLeaseIsTheOneTheCacheAnswersWithinAndTheOneASettleWaits() throws SQLException {
        Duration lease = Duration.ofSeconds(10);
        try (ChangeFeed longer = ChangeFeed.unstarted(db.dataSource(), new IdleCache(10), lease)) {
            longer.read(System.nanoTime() - Duration.ofSeconds(5).toNanos());
            assertThat(longer.current()).as("within the configured lease").isTrue();
            longer.read(System.nanoTime() - lease.toNanos() - 1);
            assertThat(longer.current()).as("the latest read began more than the configured lease ago").isFalse();
        }
        try (ChangeFeed shorter = ChangeFeed.unstarted(db.dataSource(), new IdleCache(10), Duration.ofMillis(100))) {
            long start = System.nanoTime();
            shorter.settle();
            assertThat(System.nanoTime() - start).as("a settle waits the whole lease")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
        }
    }

    private String newXid() throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aServerWhosePreviousReadIsOlderThanATrimStartsOverWithAnEmptyCache() throws SQLException {
        // a transaction some other client keeps open holds every snapshot's xmin back (xids are the cluster's)
        try (Connection open = db.dataSource().getConnection(); Statement s = open.createStatement()) {
            open.setAutoCommit(false);
            s.executeQuery("SELECT pg_current_xact_id()").close();
            feed.read(System.nanoTime());
            cacheAll();
            sql("UPDATE device_manifests SET envelope_hash = 'a' WHERE device_id = 'dev_feed_0'");
            String mark = newXid(); // later than the feed's snapshot, whatever holds the xmin back
            ChangeFeed other = ChangeFeed.unstarted(db.dataSource(), new IdleCache(10));
            try {
                other.markTrimmed(mark);
                assertThat(other.trimBatch(mark)).isPositive(); // with it the row the feed has not read
            } finally {
                other.close();
            }
            open.rollback();
        }
        feed.read(System.nanoTime());
        assertThat(cached()).as("it cannot know which devices changed").isEmpty();
        assertThat(feed.current()).isTrue();
        cacheAll();
        feed.read(System.nanoTime());
        assertThat(cached()).as("then it reads on as usual").hasSize(6);
    }

    @Test
    void aTruncateClearsTheCache() throws SQLException {
        feed.read(System.nanoTime());
        cacheAll();
        sql("TRUNCATE device_sessions");
        feed.read(System.nanoTime());
        assertThat(cached()).isEmpty();
    }

    @Test
    void trimmingDeletesOnlyRowsOfTransactionsOlderThanTheMark() throws SQLException {
        sql("UPDATE device_manifests SET envelope_hash = 'a' WHERE device_id = 'dev_feed_0'");
        String mark = newXid();
        sql("UPDATE device_manifests SET envelope_hash = 'b' WHERE device_id = 'dev_feed_1'");
        int before = count();
        feed.markTrimmed(mark);
        assertThat(feed.trimBatch(mark)).isEqualTo(before - 1);
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT device_id FROM device_changes")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("dev_feed_1");
            assertThat(rs.next()).isFalse();
        }
    }

    private int count() throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM device_changes")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
