package dev.flotilla.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The server's database: a connection pool, migrated by Flyway to the current schema on open, and a Jdbi
 * handle factory over it. The same migrations run on H2 and PostgreSQL.
 */
public final class Database implements AutoCloseable {
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
        config.setJdbcUrl(withoutH2CloseOnExit(jdbcUrl));
        config.setMaximumPoolSize(10);
        config.setPoolName("flotilla");
        HikariDataSource ds = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
            return new Database(ds);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
    }

    /**
     * H2 closes a database in its own JVM shutdown hook, under requests that are still being served while
     * the server stops (SIGTERM, Ctrl-C): the server closes the pool itself, last.
     */
    static String withoutH2CloseOnExit(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.toUpperCase(java.util.Locale.ROOT).contains("DB_CLOSE_ON_EXIT")) {
            return jdbcUrl + ";DB_CLOSE_ON_EXIT=FALSE";
        }
        return jdbcUrl;
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
