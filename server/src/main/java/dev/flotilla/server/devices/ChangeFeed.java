package dev.flotilla.server.devices;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps this server's {@link IdleCache} true to the database that several servers share (PostgreSQL; see
 * {@code db/postgresql/V4__device_changes.sql}). Triggers add a {@code device_changes} row, in the writing
 * transaction, for every write that can change a device's idle check-in answer. One thread reads, every
 * {@link #POLL}, the rows committed since its previous read, and invalidates those devices.
 *
 * <p><b>Exact reads.</b> Rows are not read by sequence number (a transaction can take a lower number and
 * commit after a higher one is read). Each read also takes the statement's snapshot
 * ({@code pg_current_snapshot()}), and the next read asks for the rows of transactions that snapshot did
 * not see: {@code xid >= xmin(previous) AND NOT pg_visible_in_snapshot(xid, previous)}. Every committed row
 * is read exactly once, however late its transaction commits.
 *
 * <p><b>Lease.</b> The cache may answer only while {@link #current()}: until {@link #LEASE} after the
 * start of the latest read that completed. A write that must reach every server before its caller goes on
 * (decommissioning, deployments, tags and groups) then calls {@link #settle()}, which waits one lease after
 * its commit: by then every server has read the change (a read that started after the commit) or has
 * stopped answering from its cache. Without {@link #settle()} a write reaches the other servers within
 * about {@link #POLL}.
 *
 * <p><b>Housekeeping.</b> Every {@link #TRIM_EVERY} this server notes the oldest transaction still running
 * and deletes the rows of transactions older than the one it noted {@link #TRIM_AFTER} before (their rows
 * were read by every server whose lease is still good). A server that could not read for longer than
 * {@link #REBUILD_AFTER} (shorter than {@link #TRIM_AFTER}) clears its cache instead of trusting that it
 * missed nothing.
 */
final class ChangeFeed implements AutoCloseable {
    static final Duration POLL = Duration.ofMillis(50);
    static final Duration LEASE = Duration.ofMillis(500);
    static final Duration REBUILD_AFTER = Duration.ofSeconds(30);
    static final Duration TRIM_EVERY = Duration.ofSeconds(30);
    static final Duration TRIM_AFTER = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);
    private static final String SNAPSHOT = "SELECT pg_current_snapshot()::text";
    private static final String CHANGES = "SELECT pg_current_snapshot()::text, c.device_id FROM (SELECT 1) one"
            + " LEFT JOIN device_changes c ON c.xid >= pg_snapshot_xmin(CAST(? AS pg_snapshot))"
            + " AND NOT pg_visible_in_snapshot(c.xid, CAST(? AS pg_snapshot))";

    private record Mark(long nanos, String xmin) {
    }

    private final DataSource dataSource;
    private final IdleCache cache;
    private final Thread thread;
    private final Deque<Mark> marks = new ArrayDeque<>();
    private volatile boolean running = true;
    /** nanoTime until which the cache may answer; meaningful only when {@link #live}. */
    private volatile long leaseEnd;
    private volatile boolean live;
    private Connection connection;
    private String snapshot;
    private long snapshotNanos;
    private long lastTrimNanos;
    private long lastPruneNanos;
    private long failures;

    private ChangeFeed(DataSource dataSource, IdleCache cache) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.thread = Thread.ofPlatform().name("flotilla-change-feed").daemon().unstarted(this::run);
    }

    /** Starts reading; the cache answers from the first completed read on. */
    static ChangeFeed start(DataSource dataSource, IdleCache cache) {
        ChangeFeed feed = new ChangeFeed(dataSource, cache);
        feed.lastTrimNanos = System.nanoTime();
        feed.lastPruneNanos = feed.lastTrimNanos;
        feed.thread.start();
        return feed;
    }

    /** A feed whose reads the caller makes ({@link #read}; for tests). */
    static ChangeFeed unstarted(DataSource dataSource, IdleCache cache) {
        return new ChangeFeed(dataSource, cache);
    }

    /** Whether the cache may answer now. */
    boolean current() {
        return live && System.nanoTime() - leaseEnd < 0;
    }

    /**
     * Waits one {@link #LEASE}: call it after committing a write that every server must see before the
     * caller goes on.
     */
    void settle() {
        long end = System.nanoTime() + LEASE.toNanos();
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private void run() {
        while (running) {
            long started = System.nanoTime();
            try {
                read(started);
                housekeeping(started);
                failures = 0;
            } catch (SQLException | RuntimeException e) {
                if (failures++ % 200 == 0) { // about every 10 s while it lasts
                    LOG.warn("reading device changes failed; check-ins use the database meanwhile: {}", e.toString());
                }
                closeConnection();
            }
            long sleep = started + POLL.toNanos() - System.nanoTime();
            if (sleep > 0 && running) {
                LockSupport.parkNanos(sleep);
            }
        }
        closeConnection();
    }

    /** One read, begun at {@code started} (before its statement's snapshot is taken). */
    void read(long started) throws SQLException {
        Connection c = connection();
        if (snapshot == null || started - snapshotNanos > REBUILD_AFTER.toNanos()) {
            // First read, or too long without one (rows this server never read may be trimmed): start over.
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(SNAPSHOT)) {
                rs.next();
                String snap = rs.getString(1);
                cache.clear();
                advance(snap, started);
            }
            return;
        }
        String next = null;
        try (PreparedStatement ps = c.prepareStatement(CHANGES)) {
            ps.setString(1, snapshot);
            ps.setString(2, snapshot);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    next = rs.getString(1);
                    String device = rs.getString(2);
                    if (device != null) {
                        cache.invalidate(device);
                    }
                }
            }
        }
        advance(next, started);
    }

    private void advance(String snap, long started) {
        snapshot = snap;
        snapshotNanos = started;
        leaseEnd = started + LEASE.toNanos();
        live = true;
    }

    private void housekeeping(long now) throws SQLException {
        if (now - lastPruneNanos > TRIM_EVERY.toNanos()) {
            cache.prune();
            lastPruneNanos = now;
        }
        if (now - lastTrimNanos <= TRIM_EVERY.toNanos()) {
            return;
        }
        lastTrimNanos = now;
        try (Statement s = connection().createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")) {
            rs.next();
            marks.addLast(new Mark(now, rs.getString(1)));
        }
        Mark old = null;
        while (!marks.isEmpty() && now - marks.peekFirst().nanos() >= TRIM_AFTER.toNanos()) {
            old = marks.pollFirst();
        }
        if (old != null) {
            trimBefore(old.xmin());
        }
    }

    /** Deletes the rows of transactions older than {@code xmin} (a snapshot's xmin, as text). */
    int trimBefore(String xmin) throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement("DELETE FROM device_changes WHERE xid < CAST(? AS xid8)")) {
            ps.setString(1, xmin);
            return ps.executeUpdate();
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = dataSource.getConnection();
            connection.setAutoCommit(true);
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the pool discards a broken connection
            }
            connection = null;
        }
    }

    /** Stops reading; the cache stops answering at once. */
    @Override
    public void close() {
        live = false;
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
