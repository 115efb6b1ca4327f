package dev.flotilla.server.store;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** Upgrading to schema V3 does not make deployments made before it follow group membership. */
class DeploymentsBeforeV3Test {
    @TempDir
    Path dir;

    @Test
    void aDeploymentMadeBeforeV3IsClosedAndOneMadeAfterIsActive() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("flotilla");
        Flyway.configure().dataSource(url, "", "").locations("classpath:db/migration").target("2").load().migrate();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("SET REFERENTIAL_INTEGRITY FALSE");
            s.execute("INSERT INTO deployments (id, target_path, group_name, created_at, created_by)"
                    + " VALUES ('dep_old', 'fw.bin', 'prod', 1, 'tok_admin')");
        }

        try (Database db = Database.open(url)) {
            db.jdbi().useHandle(h -> {
                h.execute("SET REFERENTIAL_INTEGRITY FALSE");
                h.execute("INSERT INTO deployments (id, target_path, group_name, created_at, created_by)"
                        + " VALUES ('dep_new', 'fw.bin', 'prod', 2, 'tok_admin')");
            });
            java.util.List<String> states = db.jdbi().withHandle(h -> h.createQuery(
                    "SELECT id || '=' || state FROM deployments ORDER BY id").mapTo(String.class).list());
            assertThat(states).containsExactly("dep_new=active", "dep_old=closed");
            // schema V5 numbers the older deployments in creation order; a new one comes after them
            java.util.List<String> order = db.jdbi().withHandle(h -> h.createQuery(
                    "SELECT id FROM deployments ORDER BY seq").mapTo(String.class).list());
            assertThat(order).containsExactly("dep_old", "dep_new");
        }
    }
}
