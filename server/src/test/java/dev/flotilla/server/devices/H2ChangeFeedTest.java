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
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded H2 change feed against a real H2 database: a write holds its device out of the cache from
 * the moment it is made until its commit is seen, rolled-back writes end their hold, and writes that do
 * not change an idle answer hold nothing.
 */
class H2ChangeFeedTest {
    private Database db;
    private IdleCache cache;
    private H2ChangeFeed feed;

    @BeforeEach
    void setUp() {
        db = Database.open(BothDatabases.h2().jdbcUrl());
        List<BulkRegistration.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            entries.add(new BulkRegistration.Entry("dev_h2_" + i,
                    Key.of(KeyType.ED25519, KeyPairs.generate(KeyType.ED25519).getPublic()), "board-a", "fld_h2_" + i,
                    "{\"signed\":{},\"signatures\":[]}".getBytes()));
        }
        BulkRegistration.register(db.jdbi(), entries, Clock.systemUTC(), Duration.ofHours(1)); // before the feed
        cache = new IdleCache(100);
        feed = H2ChangeFeed.create(db.dataSource(), cache);
    }

    @AfterEach
    void tearDown() {
        feed.close();
        db.close();
    }

    /** A lookup's put, as CheckIns makes it; true when the cache kept it. */
    private boolean lookupCaches(String id) {
        cache.put(id, new IdleCache.Entry("a".repeat(64), Long.MAX_VALUE, "b".repeat(64), null), cache.stamp());
        return cache.get(id) != null;
    }

    @Test
    void aWriteHoldsItsDeviceOutOfTheCacheUntilItsCommitIsSeen() throws SQLException {
        assertThat(lookupCaches("dev_h2_0")).isTrue();
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE devices SET status = 'decommissioned' WHERE id = 'dev_h2_0'");
            }
            assertThat(cache.get("dev_h2_0")).as("dropped when the write is made").isNull();
            assertThat(lookupCaches("dev_h2_0")).as("a read now still sees the old row: not kept").isFalse();
            feed.poll(System.nanoTime());
            assertThat(lookupCaches("dev_h2_0")).as("not committed yet").isFalse();
            assertThat(lookupCaches("dev_h2_1")).as("other devices are not held").isTrue();
            c.commit();
        }
        assertThat(lookupCaches("dev_h2_0")).as("committed, but not seen yet").isFalse();
        feed.poll(System.nanoTime());
        assertThat(lookupCaches("dev_h2_0")).as("released once the commit is seen").isTrue();
        assertThat(feed.current()).isTrue();
        feed.settle(); // returns at once: nothing to wait for
    }

    @Test
    void aRolledBackWriteEndsItsHoldAfterTheLimit() throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE device_manifests SET envelope_hash = 'x' WHERE device_id = 'dev_h2_1'");
            }
            c.rollback();
        }
        feed.poll(System.nanoTime());
        assertThat(lookupCaches("dev_h2_1")).isFalse();
        feed.poll(System.nanoTime() + H2ChangeFeed.HOLD_AT_MOST.toNanos() + 1);
        assertThat(lookupCaches("dev_h2_1")).isTrue();
    }

    @Test
    void lastSeenAndOtherDeviceColumnsHoldNothing() throws SQLException {
        assertThat(lookupCaches("dev_h2_2")).isTrue();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE devices SET last_seen_at = 5, device_group = 'lab' WHERE id = 'dev_h2_2'");
        }
        assertThat(cache.get("dev_h2_2")).isNotNull();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM device_sessions WHERE device_id = 'dev_h2_2'");
        }
        assertThat(cache.get("dev_h2_2")).isNull();
    }
}
