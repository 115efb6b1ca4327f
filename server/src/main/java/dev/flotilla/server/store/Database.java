package dev.flotilla.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * The server's database: a connection pool, migrated by Flyway to the current schema on open, and a Jdbi
 * handle factory over it. The same migrations run on H2 and PostgreSQL, and each also gets its own change feed
 * ({@code db/postgresql}, {@code db/h2}: triggers behind the idle check-in cache).
 *
 * <p>Durability: a write the server acknowledges is committed, and a commit has left the process when it
 * returns. On H2 that takes {@code WRITE_DELAY=0} (see {@link #h2Defaults}): the commit is written to the database file
 * before it returns (it survives the server process being killed; H2 does not fsync each commit, so a crash
 * of the machine may still lose the last ones). On PostgreSQL every connection runs with
 * {@code synchronous_commit} at least {@code on} ({@link #POSTGRES_INIT}: a commit returns once its WAL is
 * flushed), and a server whose PostgreSQL runs with {@code fsync=off} says so in a warning at start.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /**
     * Run on each new PostgreSQL connection: turns {@code synchronous_commit} on for this session when the
     * server, database, role or URL set it {@code off} (a commit would then return before its WAL is on disk,
     * and a crash of the database node would lose acknowledged writes); any other value ({@code local},
     * {@code remote_write}, {@code on}, {@code remote_apply}) is kept.
     */
    static final String POSTGRES_INIT = "SELECT set_config('synchronous_commit', 'on', false)"
            + " WHERE current_setting('synchronous_commit') = 'off'";
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /**
     * Opens the database at {@code jdbcUrl} (credentials may be URL parameters) and migrates it.
     *
     * @throws org.flywaydb.core.api.FlywayException when the schema cannot be migrated
     */
    public static Database open(String jdbcUrl) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(h2Defaults(jdbcUrl, Runtime.getRuntime().maxMemory()));
        config.setMaximumPoolSize(10);
        config.setPoolName("flotilla");
        if (isPostgres(jdbcUrl)) {
            config.setConnectionInitSql(POSTGRES_INIT);
        }
        HikariDataSource ds = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(ds).locations(locations(jdbcUrl)).load().migrate();
            Database db = new Database(ds);
            db.fsyncWarning().ifPresent(LOG::warn);
            return db;
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
    }

    /**
     * Flyway's locations: the shared migrations, plus on PostgreSQL those only PostgreSQL has (the change
     * feed of the idle check-in cache, the device search's prefix indexes; their versions are not used by the
     * shared ones), and on H2 the H2 twins of some of them.
     */
    static String[] locations(String jdbcUrl) {
        return isPostgres(jdbcUrl) ? new String[] {"classpath:db/migration", "classpath:db/postgresql"}
                : jdbcUrl.startsWith("jdbc:h2:") ? new String[] {"classpath:db/migration", "classpath:db/h2"}
                : new String[] {"classpath:db/migration"};
    }

    /**
     * Whether this is an H2 database embedded in this process (file or memory, no {@code AUTO_SERVER}): then
     * every write runs here, which the idle check-in cache on H2 relies on.
     */
    public boolean embeddedH2() {
        String url = dataSource.getJdbcUrl();
        String upper = url.toUpperCase(java.util.Locale.ROOT);
        return upper.startsWith("JDBC:H2:") && !upper.startsWith("JDBC:H2:TCP:") && !upper.startsWith("JDBC:H2:SSL:")
                && !upper.contains("AUTO_SERVER=TRUE");
    }

    static boolean isPostgres(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:postgresql:");
    }

    /** Whether this is a PostgreSQL database (which has the device change feed, see {@code db/postgresql}). */
    public boolean postgres() {
        return isPostgres(dataSource.getJdbcUrl());
    }

    /**
     * A warning when this is a PostgreSQL server running with {@code fsync} off: its commits then reach the
     * operating system but not necessarily the disk, and a crash of its machine can lose acknowledged writes
     * or corrupt the database. Empty otherwise.
     */
    Optional<String> fsyncWarning() {
        if (!postgres()) {
            return Optional.empty();
        }
        String fsync = jdbi.withHandle(h -> h.createQuery("SHOW fsync").mapTo(String.class).one());
        return "off".equalsIgnoreCase(fsync)
                ? Optional.of("PostgreSQL runs with fsync=off: a crash of the database machine can lose"
                        + " writes this server acknowledged (set fsync=on in postgresql.conf)")
                : Optional.empty();
    }

    /**
     * The server's defaults for an embedded H2 URL, each only when the URL does not set it:
     * <ul>
     * <li>{@code DB_CLOSE_ON_EXIT=FALSE}: H2 would close the database in its own JVM shutdown hook, under
     * requests that are still being served while the server stops (SIGTERM, Ctrl-C); the server closes the
     * pool itself, last.</li>
     * <li>{@code CACHE_SIZE}: a quarter of the maximum heap, at most 128 MiB (H2's own default is 16 MiB,
     * which a fleet of 100,000 devices outgrows: the idle check-in's lookups then read pages from the file;
     * see docs/benchmarks.md).</li>
     * <li>{@code LOCK_TIMEOUT=30000}: wait up to 30 s for a row lock, as PostgreSQL waits, instead of H2's
     * 2 s (a transaction that must wait for a row lock held by another, e.g. two writers of one device's
     * assignment, or a tag change while a deployment records its members, waits rather than fails).</li>
     * <li>{@code WRITE_DELAY=0}: each commit is written to the database file before it returns (H2's default,
     * 500 ms, writes commits in the background: an answer the server gave could be lost with the process).</li>
     * </ul>
     * Other URLs are returned unchanged.
     */
    static String h2Defaults(String jdbcUrl, long maxHeapBytes) {
        if (!jdbcUrl.startsWith("jdbc:h2:")) {
            return jdbcUrl;
        }
        String upper = jdbcUrl.toUpperCase(java.util.Locale.ROOT);
        String url = jdbcUrl;
        if (!upper.contains("DB_CLOSE_ON_EXIT")) {
            url += ";DB_CLOSE_ON_EXIT=FALSE";
        }
        if (!upper.contains("CACHE_SIZE")) {
            long kib = Math.min(128L * 1024, Math.max(16L * 1024, maxHeapBytes / 4 / 1024));
            url += ";CACHE_SIZE=" + kib;
        }
        if (!upper.contains("LOCK_TIMEOUT")) {
            url += ";LOCK_TIMEOUT=30000";
        }
        if (!upper.contains("WRITE_DELAY")) {
            url += ";WRITE_DELAY=0";
        }
        return url;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** The connection pool behind {@link #jdbi()}, for the few hot statements issued with plain JDBC. */
    public javax.sql.DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
