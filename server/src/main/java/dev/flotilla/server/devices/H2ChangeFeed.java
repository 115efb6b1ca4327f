package dev.flotilla.server.devices;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps an {@link IdleCache} true to an H2 database embedded in this process (see
 * {@code db/h2/V4__device_changes.sql}). Every write runs in this process, so a trigger ({@link Trigger})
 * sees each change of a device's sessions, status, manifest or assignment as it is made, before its
 * commit: it holds the device out of the cache of every server of this process on that database
 * ({@link IdleCache#hold}) and writes a row with a fresh token in the same transaction. One thread looks
 * for the tokens every {@link #POLL}: a visible row means the write committed, and the device is released
 * ({@link IdleCache#release}, which also drops reads made while it was held). So the cache never answers
 * from a state older than a committed write, at once and without waiting: {@link #settle()} returns at
 * once. A token not seen after {@link #HOLD_AT_MOST} is taken for a rolled-back write and released (a
 * device is held that long at most); it is still looked for until {@link #WATCH_AT_MOST}, and dropped again
 * if its write commits that late.
 */
final class H2ChangeFeed implements CacheFeed {
    static final Duration POLL = Duration.ofMillis(50);
    static final Duration HOLD_AT_MOST = Duration.ofSeconds(60);
    static final Duration WATCH_AT_MOST = Duration.ofMinutes(10);
    private static final int BATCH = 500;

    private static final Logger LOG = LoggerFactory.getLogger(H2ChangeFeed.class);
    /** Feeds of this process by database key ({@code device_changes_db}). */
    private static final Map<String, Set<H2ChangeFeed>> FEEDS = new ConcurrentHashMap<>();
    private static final AtomicLong TOKENS = new AtomicLong(new SecureRandom().nextLong() >>> 2);

    private static final class Pending {
        final String deviceId;
        final long sinceNanos;
        volatile boolean held = true;

        Pending(String deviceId, long sinceNanos) {
            this.deviceId = deviceId;
            this.sinceNanos = sinceNanos;
        }
    }

    private final DataSource dataSource;
    private final IdleCache cache;
    private final String dbKey;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private long failures;

    private H2ChangeFeed(DataSource dataSource, IdleCache cache, String dbKey) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.dbKey = dbKey;
        this.thread = Thread.ofPlatform().name("flotilla-h2-change-feed").daemon().unstarted(this::run);
    }

    /** Registers with the database's triggers and starts looking for commits. */
    static H2ChangeFeed start(DataSource dataSource, IdleCache cache) {
        H2ChangeFeed feed = create(dataSource, cache);
        feed.thread.start();
        return feed;
    }

    /** A registered feed whose looks the caller makes ({@link #poll}; for tests). */
    static H2ChangeFeed create(DataSource dataSource, IdleCache cache) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            String key;
            try (ResultSet rs = s.executeQuery("SELECT db_key FROM device_changes_db")) {
                rs.next();
                key = rs.getString(1);
            }
            H2ChangeFeed feed = new H2ChangeFeed(dataSource, cache, key);
            synchronized (FEEDS) {
                Set<H2ChangeFeed> feeds = FEEDS.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
                if (feeds.isEmpty()) {
                    s.executeUpdate("DELETE FROM device_changes"); // left by a process that stopped mid-write
                }
                feeds.add(feed);
            }
            return feed;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot start the H2 change feed", e);
        }
    }

    @Override
    public boolean current() {
        return running;
    }

    @Override
    public void settle() {
        // nothing to wait for: held devices are never answered from the cache
    }

    /** Called by the trigger, inside the writing transaction: holds the device, returns the row's token. */
    private long hold(String deviceId) {
        long token = TOKENS.incrementAndGet();
        pending.put(token, new Pending(deviceId, System.nanoTime()));
        cache.hold(deviceId);
        return token;
    }

    private void run() {
        while (running) {
            long started = System.nanoTime();
            try {
                poll(started);
                failures = 0;
            } catch (SQLException | RuntimeException e) {
                if (failures++ % 200 == 0) {
                    LOG.warn("looking for committed device changes failed; will retry: {}", e.toString());
                }
            }
            long sleep = started + POLL.toNanos() - System.nanoTime();
            if (sleep > 0 && running) {
                LockSupport.parkNanos(sleep);
            }
        }
    }

    /** Releases the devices whose writes committed (or, after {@link #HOLD_AT_MOST}, were rolled back). */
    void poll(long now) throws SQLException {
        if (pending.isEmpty()) {
            return;
        }
        List<Long> tokens = new ArrayList<>(pending.keySet());
        try (Connection c = dataSource.getConnection()) {
            for (int from = 0; from < tokens.size(); from += BATCH) {
                List<Long> batch = tokens.subList(from, Math.min(tokens.size(), from + BATCH));
                String in = "?" + ",?".repeat(batch.size() - 1);
                List<Long> seen = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT token FROM device_changes WHERE token IN (" + in + ")")) {
                    for (int i = 0; i < batch.size(); i++) {
                        ps.setLong(i + 1, batch.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            seen.add(rs.getLong(1));
                        }
                    }
                }
                for (long token : seen) {
                    Pending p = pending.remove(token);
                    if (p != null) {
                        if (p.held) {
                            cache.release(p.deviceId);
                        } else {
                            cache.invalidate(p.deviceId); // committed after it was taken for rolled back
                        }
                    }
                }
                if (!seen.isEmpty()) {
                    String del = "?" + ",?".repeat(seen.size() - 1);
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM device_changes WHERE token IN (" + del + ")")) {
                        for (int i = 0; i < seen.size(); i++) {
                            ps.setLong(i + 1, seen.get(i));
                        }
                        ps.executeUpdate();
                    }
                }
            }
        }
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            long age = now - p.sinceNanos;
            if (p.held && age > HOLD_AT_MOST.toNanos()) {
                p.held = false;
                cache.release(p.deviceId);
            } else if (age > WATCH_AT_MOST.toNanos()) {
                pending.remove(e.getKey(), p);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        synchronized (FEEDS) {
            Set<H2ChangeFeed> feeds = FEEDS.get(dbKey);
            if (feeds != null) {
                feeds.remove(this);
            }
        }
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The H2 trigger on {@code device_sessions}, {@code devices}, {@code device_manifests} and
     * {@code device_assignments} (rows; for {@code devices} only a change of id or status counts). Does
     * nothing when no server of this process watches the database (e.g. during migrations).
     */
    public static final class Trigger implements org.h2.api.Trigger {
        private String dbKey;
        private int idColumn = -1;
        private int statusColumn = -1;

        @Override
        public void init(Connection conn, String schema, String trigger, String table, boolean before, int type)
                throws SQLException {
            boolean devices = table.equalsIgnoreCase("devices");
            try (ResultSet rs = conn.getMetaData().getColumns(null, schema, table, null)) {
                while (rs.next()) {
                    String column = rs.getString("COLUMN_NAME");
                    int index = rs.getInt("ORDINAL_POSITION") - 1;
                    if (column.equalsIgnoreCase(devices ? "id" : "device_id")) {
                        idColumn = index;
                    } else if (devices && column.equalsIgnoreCase("status")) {
                        statusColumn = index;
                    }
                }
            }
            if (idColumn < 0) {
                throw new SQLException("no device id column in " + table);
            }
            try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT db_key FROM device_changes_db")) {
                rs.next();
                dbKey = rs.getString(1);
            }
        }

        @Override
        public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
            Set<H2ChangeFeed> feeds = FEEDS.get(dbKey);
            if (feeds == null || feeds.isEmpty()) {
                return;
            }
            if (statusColumn >= 0 && oldRow != null && newRow != null
                    && Objects.equals(oldRow[statusColumn], newRow[statusColumn])
                    && Objects.equals(oldRow[idColumn], newRow[idColumn])) {
                return; // a devices update that leaves id and status alone (lastSeenAt, tags, group, ...)
            }
            List<String> ids = new ArrayList<>(2);
            if (oldRow != null) {
                ids.add(String.valueOf(oldRow[idColumn]));
            }
            if (newRow != null && !ids.contains(String.valueOf(newRow[idColumn]))) {
                ids.add(String.valueOf(newRow[idColumn]));
            }
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO device_changes (token, device_id) VALUES (?, ?)")) {
                for (H2ChangeFeed feed : feeds) {
                    for (String id : ids) {
                        ps.setLong(1, feed.hold(id));
                        ps.setString(2, id);
                        ps.executeUpdate();
                    }
                }
            }
        }
    }
}
