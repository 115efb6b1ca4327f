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

/** Upgrading to schema V11 fills the filter columns and attribute rows of devices stored before it. */
class DeviceFiltersV11Test {
    @TempDir
    Path dir;

    @Test
    void devicesStoredBeforeV11AreFilterableAfterIt() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("flotilla");
        String[] locations = {"classpath:db/migration", "classpath:db/h2"};
        String before = java.util.Arrays.stream(Flyway.configure().dataSource(url, "", "").locations(locations).load()
                        .info().all()).map(m -> m.getVersion()).filter(v -> v.isMajorNewerThan("0")
                        && !v.isAtLeast("11")).max(java.util.Comparator.naturalOrder()).orElseThrow().getVersion();
        Flyway.configure().dataSource(url, "", "").locations(locations).target(before).load().migrate();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("INSERT INTO devices (id, key_id, public_key, hardware_id, attributes, status, created_at)"
                    + " VALUES ('dev_old', 'kid', '{}', 'board-a', '{\"region\":\"eu\",\"rev\":3,\"nested\":{\"a\":1}}',"
                    + " 'active', 1)");
            s.execute("INSERT INTO device_manifests (device_id, envelope_hash, manifest_json, received_at) VALUES"
                    + " ('dev_old', 'h', '{\"installedTarget\":\"fw-1.bin\",\"healthState\":\"ok\","
                    + "\"securityVersion\":4,\"trustedRootVersion\":2}', 1)");
        }
        try (Database db = Database.open(url)) {
            String facts = db.jdbi().withHandle(h -> h.createQuery("SELECT installed_target || ',' || health_state"
                    + " || ',' || security_version || ',' || trusted_root_version FROM device_manifests")
                    .mapTo(String.class).one());
            assertThat(facts).isEqualTo("fw-1.bin,ok,4,2");
            List<String> attributes = db.jdbi().withHandle(h -> h.createQuery("SELECT attr_name || '=' || attr_value"
                    + " FROM device_attributes WHERE device_id = 'dev_old' ORDER BY attr_name").mapTo(String.class).list());
            assertThat(attributes).containsExactly("region=eu", "rev=3");
        }
    }
}
