package dev.flotilla.server.store;

import dev.flotilla.server.testing.BothDatabases;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL side of durability: the test cluster runs with {@code synchronous_commit=off} server-wide
 * (io.zonky's default), yet every connection of the server's pool commits synchronously; a cluster without
 * fsync is named in a warning.
 */
class DatabaseDurabilityTest {
    @Test
    void everyPooledPostgresConnectionCommitsSynchronouslyWhenTheClusterSaysOff() throws SQLException {
        String url = BothDatabases.postgres().jdbcUrl();
        String fsync;
        try (Connection plain = java.sql.DriverManager.getConnection(url)) {
            assertThat(setting(plain, "synchronous_commit")).isEqualTo("off"); // what the server would get unasked
            fsync = setting(plain, "fsync");
        }
        try (Database db = Database.open(url)) {
            List<Connection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) { // the whole pool, not just the first connection
                    held.add(db.dataSource().getConnection());
                }
                for (Connection c : held) {
                    assertThat(setting(c, "synchronous_commit")).isEqualTo("on");
                }
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
            if (fsync.equals("off")) { // io.zonky's test cluster, here
                assertThat(db.fsyncWarning()).hasValueSatisfying(w -> assertThat(w).contains("fsync=off"));
            } else {
                assertThat(db.fsyncWarning()).isEmpty();
            }
        }
    }

    @Test
    void aStricterOrLocalSynchronousCommitSetForTheConnectionIsKept() throws SQLException {
        String url = BothDatabases.postgres().jdbcUrl() + "&options=-c%20synchronous_commit%3Dlocal";
        try (Database db = Database.open(url); Connection c = db.dataSource().getConnection()) {
            assertThat(setting(c, "synchronous_commit")).isEqualTo("local");
        }
    }

    private static String setting(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
