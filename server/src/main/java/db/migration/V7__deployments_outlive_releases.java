package db.migration;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Flotilla schema v7: a release can be deleted (see {@code ReleaseDeletion}) while deployments that used it
 * stay as history, so {@code deployments.target_path} no longer references {@code releases}. The foreign key
 * was declared without a name in v2 and each database named it its own way, so it is found by its columns
 * (JDBC metadata) and dropped by the name found. A Java migration for that reason only: the same on H2 and
 * PostgreSQL.
 */
public class V7__deployments_outlive_releases extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws SQLException {
        Connection c = context.getConnection();
        DatabaseMetaData md = c.getMetaData();
        String table = md.storesUpperCaseIdentifiers() ? "DEPLOYMENTS" : "deployments";
        List<String> names = new ArrayList<>();
        try (ResultSet rs = md.getImportedKeys(c.getCatalog(), c.getSchema(), table)) {
            while (rs.next()) {
                if (rs.getString("PKTABLE_NAME").equalsIgnoreCase("releases")
                        && rs.getString("FKCOLUMN_NAME").equalsIgnoreCase("target_path")) {
                    names.add(rs.getString("FK_NAME"));
                }
            }
        }
        if (names.size() != 1) {
            throw new IllegalStateException("expected one foreign key deployments.target_path -> releases, found " + names);
        }
        try (Statement s = c.createStatement()) {
            s.execute("ALTER TABLE deployments DROP CONSTRAINT \"" + names.getFirst().replace("\"", "\"\"") + "\"");
        }
    }
}
