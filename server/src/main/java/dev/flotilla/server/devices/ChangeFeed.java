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
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
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
 * <p><b>Lease.</b> The cache may answer only while {@link #current()}: until its lease
 * ({@link CheckIns#DEFAULT_CACHE_LEASE} unless the server is configured otherwise) after the start of the
 * latest read that completed. A write that must reach every server before its caller goes on
 * (decommissioning, deployments, tags and groups) then calls {@link #settle()}, which waits one lease after
 * its commit: by then every server has read the change (a read that started after the commit) or has
 * stopped answering from its cache. Without {@link #settle()} a write reaches the other servers within
 * about {@link #POLL}.
 *
 * <p><b>Housekeeping.</b> Every {@link #TRIM_EVERY} this server notes the oldest transaction still running;
 * the one it noted {@link #TRIM_AFTER} before becomes the trim point: it raises
 * {@code device_changes_trimmed.before_xid} to it, then deletes the rows of older transactions,
 * {@value #TRIM_BATCH} per read (rows every server that read in the last minute has read). Each read also
 * checks that mark against its previous snapshot: a server whose previous read is older than the mark
 * (stalled, suspended, cut off) clears its cache instead of trusting rows that may be gone; so does a
 * {@code TRUNCATE} of a table the triggers watch (a {@code '*'} row). No clock takes part in that decision.
 *
 * <p>The feed holds one connection of the pool while it runs; its statements time out after
 * {@value #TIMEOUT_SECONDS} s, so a lost connection ends in a new one, not a hung thread.
 */
final class ChangeFeed implements CacheFeed {
    static final Duration POLL = Duration.ofMillis(50);
    static final Duration TRIM_EVERY = Duration.ofSeconds(30);
    static final Duration TRIM_AFTER = Duration.ofSeconds(60);
    static final int TRIM_BATCH = 5_000;
    static final int TIMEOUT_SECONDS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);
    private static final String SNAPSHOT = "SELECT pg_current_snapshot()::text";
    private static final String CHANGES = "SELECT pg_current_snapshot()::text,"
            + " t.before_xid > pg_snapshot_xmin(CAST(? AS pg_snapshot)), c.device_id"
            + " FROM device_changes_trimmed t"
            + " LEFT JOIN device_changes c ON c.xid >= pg_snapshot_xmin(CAST(? AS pg_snapshot))"
            + " AND NOT pg_visible_in_snapshot(c.xid, CAST(? AS pg_snapshot))"
            + " WHERE t.id = 1";
    /** A {@code device_changes} row that stands for every device (written by a TRUNCATE trigger). */
    private static final String EVERY_DEVICE = "*";

    private record Mark(long nanos, String xmin) {
    }

    private final DataSource dataSource;
    private final IdleCache cache;
    private final long leaseNanos;
    private final Thread thread;
    private final Deque<Mark> marks = new ArrayDeque<>();
    private volatile boolean running = true;
    /** nanoTime until which the cache may answer; meaningful only when {@link #live}. */
    private volatile long leaseEnd;
    private volatile boolean live;
    private Connection connection;
    private String snapshot;
    private long lastTrimNanos;
    private long lastPruneNanos;
    /** The trim point being worked through ({@link #TRIM_BATCH} rows per read), or null. */
    private String trimming;
    private long failures;

    private ChangeFeed(DataSource dataSource, IdleCache cache, Duration lease) {
        this.dataSource = dataSource;
        this.cache = cache;
        this.leaseNanos = lease.toNanos();
        this.thread = Thread.ofPlatform().name("flotilla-change-feed").daemon().unstarted(this::run);
    }

    /** Starts reading; the cache answers from the first completed read on, for {@code lease} after each. */
    static ChangeFeed start(DataSource dataSource, IdleCache cache, Duration lease) {
        ChangeFeed feed = new ChangeFeed(dataSource, cache, lease);
        feed.lastTrimNanos = System.nanoTime();
        feed.lastPruneNanos = feed.lastTrimNanos;
        feed.thread.start();
        return feed;
    }

    /** A feed whose reads the caller makes ({@link #read}; for tests). */
    static ChangeFeed unstarted(DataSource dataSource, IdleCache cache) {
        return unstarted(dataSource, cache, CheckIns.DEFAULT_CACHE_LEASE);
    }

    /** A feed with this lease whose reads the caller makes ({@link #read}; for tests). */
    static ChangeFeed unstarted(DataSource dataSource, IdleCache cache, Duration lease) {
        return new ChangeFeed(dataSource, cache, lease);
    }

    /** Whether the cache may answer now. */
    @Override
    public boolean current() {
        return live && System.nanoTime() - leaseEnd < 0;
    }

    /**
     * Waits one lease: call it after committing a write that every server must see before the
     * caller goes on.
     */
    @Override
    public void settle() {
        long end = System.nanoTime() + leaseNanos;
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
        if (snapshot == null) {
            startOver(c, started);
            return;
        }
        String next = null;
        boolean lost = false;
        List<String> devices = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CHANGES)) {
            ps.setQueryTimeout(TIMEOUT_SECONDS);
            ps.setString(1, snapshot);
            ps.setString(2, snapshot);
            ps.setString(3, snapshot);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    next = rs.getString(1);
                    lost = rs.getBoolean(2);
                    String device = rs.getString(3);
                    if (device != null) {
                        devices.add(device);
                    }
                }
            }
        }
        if (next == null || lost || devices.contains(EVERY_DEVICE)) {
            // rows this server has not read may be gone, or a table was truncated
            startOver(c, started);
            return;
        }
        devices.forEach(cache::invalidate);
        advance(next, started);
    }

    /** The first read, or a new start: forget everything, read on from a fresh snapshot. */
    private void startOver(Connection c, long started) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.setQueryTimeout(TIMEOUT_SECONDS);
            try (ResultSet rs = s.executeQuery(SNAPSHOT)) {
                rs.next();
                String snap = rs.getString(1);
                cache.clear();
                advance(snap, started);
            }
        }
    }

    private void advance(String snap, long started) {
        snapshot = snap;
        leaseEnd = started + leaseNanos;
        live = running;
    }

    private void housekeeping(long now) throws SQLException {
        if (now - lastPruneNanos > TRIM_EVERY.toNanos()) {
            cache.prune();
            lastPruneNanos = now;
        }
        if (trimming != null && trimBatch(trimming) < TRIM_BATCH) {
            trimming = null;
        }
        if (now - lastTrimNanos <= TRIM_EVERY.toNanos()) {
            return;
        }
        lastTrimNanos = now;
        try (Statement s = connection().createStatement()) {
            s.setQueryTimeout(TIMEOUT_SECONDS);
            try (ResultSet rs = s.executeQuery("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")) {
                rs.next();
                marks.addLast(new Mark(now, rs.getString(1)));
            }
        }
        Mark old = null;
        while (!marks.isEmpty() && now - marks.peekFirst().nanos() >= TRIM_AFTER.toNanos()) {
            old = marks.pollFirst();
        }
        if (old != null) {
            markTrimmed(old.xmin());
            trimming = old.xmin();
        }
    }

    /**
     * Records that rows of transactions older than {@code xmin} (a snapshot's xmin, as text) may be deleted
     * from now on; only raises the mark. Must precede {@link #trimBatch} for that point.
     */
    void markTrimmed(String xmin) throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement(
                "UPDATE device_changes_trimmed SET before_xid = GREATEST(before_xid, CAST(? AS xid8)) WHERE id = 1")) {
            ps.setQueryTimeout(TIMEOUT_SECONDS);
            ps.setString(1, xmin);
            ps.executeUpdate();
        }
    }

    /** Deletes up to {@value #TRIM_BATCH} rows of transactions older than {@code xmin}; returns how many. */
    int trimBatch(String xmin) throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement("DELETE FROM device_changes WHERE seq IN"
                + " (SELECT seq FROM device_changes WHERE xid < CAST(? AS xid8) LIMIT " + TRIM_BATCH + ")")) {
            ps.setQueryTimeout(TIMEOUT_SECONDS);
            ps.setString(1, xmin);
            return ps.executeUpdate();
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = dataSource.getConnection();
            connection.setAutoCommit(true);
            connection.setNetworkTimeout(Runnable::run, 2 * TIMEOUT_SECONDS * 1000);
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
        running = false;
        live = false;
        if (!thread.isAlive()) {
            closeConnection(); // never started (tests drive reads themselves)
            return;
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
