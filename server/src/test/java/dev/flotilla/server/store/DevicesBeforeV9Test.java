package dev.flotilla.server.store;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Upgrading to schema V9 keeps the keys registered in advance before it (found in the audit log) as such. */
class DevicesBeforeV9Test {
    @TempDir
    Path dir;

    @Test
    void aDeviceRegisteredInAdvanceBeforeV9StaysSoAndAnEnrolledOneDoesNot() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("flotilla");
        Flyway.configure().dataSource(url, "", "").locations(Database.locations(url)).target("7").load().migrate();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String id : List.of("dev_registered", "dev_enrolled")) {
                s.execute("INSERT INTO devices (id, key_id, public_key, hardware_id, attributes, status, created_at)"
                        + " VALUES ('" + id + "', 'k" + id + "', '{}', 'board-a', '{}', 'active', 1)");
            }
            s.execute("INSERT INTO audit_log (at_millis, actor_kind, actor_id, actor_name, action, target_kind, target_id)"
                    + " VALUES (1, 'token', 'tok_a', 'admin', 'device.register', 'device', 'dev_registered')");
            s.execute("INSERT INTO audit_log (at_millis, actor_kind, actor_id, actor_name, action, target_kind, target_id)"
                    + " VALUES (1, 'enrollment-token', 'enr_a', 'line 1', 'device.enroll', 'device', 'dev_enrolled')");
        }
        try (Database db = Database.open(url)) {
            List<String> inAdvance = db.jdbi().withHandle(h -> h.createQuery(
                    "SELECT id FROM devices WHERE registered_in_advance = TRUE").mapTo(String.class).list());
            assertThat(inAdvance).containsExactly("dev_registered");
        }
    }
}
