package db.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.server.devices.DeviceAttributes;
import dev.flotilla.server.devices.ManifestFacts;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

/**
 * Flotilla schema v11: what the device listing filters on (and the dashboard counts), kept in indexed
 * columns so that a filtered page stays fast at 100,000 devices: the manifest's installed target, health
 * state, security version and trusted root version as columns of {@code device_manifests}, the devices'
 * scalar attributes in {@code device_attributes}, and indexes on {@code devices.last_seen_at} and
 * {@code status} and on the audit log's filter columns. Existing rows are filled from their JSON by the same code that fills new ones
 * ({@link ManifestFacts}, {@link DeviceAttributes}): a Java migration for that reason, the same on H2 and
 * PostgreSQL.
 */
public class V11__device_filters extends BaseJavaMigration {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        try (Statement s = c.createStatement()) {
            s.execute("ALTER TABLE device_manifests ADD COLUMN installed_target VARCHAR(255)");
            s.execute("ALTER TABLE device_manifests ADD COLUMN health_state VARCHAR(64)");
            s.execute("ALTER TABLE device_manifests ADD COLUMN security_version BIGINT");
            s.execute("ALTER TABLE device_manifests ADD COLUMN trusted_root_version BIGINT");
            s.execute("CREATE INDEX device_manifests_target_idx ON device_manifests (installed_target)");
            s.execute("CREATE INDEX device_manifests_health_idx ON device_manifests (health_state)");
            s.execute("CREATE INDEX device_manifests_security_idx ON device_manifests (security_version)");
            s.execute("CREATE INDEX device_manifests_root_idx ON device_manifests (trusted_root_version)");
            s.execute("""
                    CREATE TABLE device_attributes (
                        device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
                        attr_name  VARCHAR(200) NOT NULL,
                        attr_value VARCHAR(1000) NOT NULL,
                        PRIMARY KEY (device_id, attr_name)
                    )""");
            s.execute("CREATE INDEX device_attributes_value_idx ON device_attributes (attr_name, attr_value)");
            s.execute("CREATE INDEX devices_last_seen_idx ON devices (last_seen_at)");
            s.execute("CREATE INDEX devices_status_idx ON devices (status)");
            s.execute("CREATE INDEX audit_log_action_idx ON audit_log (action)");
            s.execute("CREATE INDEX audit_log_target_idx ON audit_log (target_id)");
            s.execute("CREATE INDEX audit_log_actor_idx ON audit_log (actor_id)");
            s.execute("CREATE INDEX audit_log_at_idx ON audit_log (at_millis)");
        }
        fillManifestColumns(c);
        fillAttributes(c);
    }

    private static void fillManifestColumns(Connection c) throws Exception {
        try (Statement read = c.createStatement();
             ResultSet rs = read.executeQuery("SELECT device_id, manifest_json FROM device_manifests");
             PreparedStatement write = c.prepareStatement("UPDATE device_manifests SET installed_target = ?,"
                     + " health_state = ?, security_version = ?, trusted_root_version = ? WHERE device_id = ?")) {
            int batched = 0;
            while (rs.next()) {
                ManifestFacts f = ManifestFacts.of(MAPPER.readTree(rs.getString(2)));
                write.setString(1, f.installedTarget());
                write.setString(2, f.healthState());
                write.setObject(3, f.securityVersion());
                write.setObject(4, f.trustedRootVersion());
                write.setString(5, rs.getString(1));
                write.addBatch();
                if (++batched % 1000 == 0) {
                    write.executeBatch();
                }
            }
            write.executeBatch();
        }
    }

    private static void fillAttributes(Connection c) throws Exception {
        try (Statement read = c.createStatement();
             ResultSet rs = read.executeQuery("SELECT id, attributes FROM devices");
             PreparedStatement write = c.prepareStatement(
                     "INSERT INTO device_attributes (device_id, attr_name, attr_value) VALUES (?, ?, ?)")) {
            int batched = 0;
            while (rs.next()) {
                JsonNode attributes = MAPPER.readTree(rs.getString(2));
                for (Map.Entry<String, String> e : DeviceAttributes.indexed(attributes).entrySet()) {
                    write.setString(1, rs.getString(1));
                    write.setString(2, e.getKey());
                    write.setString(3, e.getValue());
                    write.addBatch();
                    if (++batched % 1000 == 0) {
                        write.executeBatch();
                    }
                }
            }
            write.executeBatch();
        }
    }
}
