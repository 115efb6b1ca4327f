package dev.flotilla.server.rollouts;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The H2 trigger behind {@code rollout_member_changes} ({@code db/h2/V18__rollout_positions.sql}; PostgreSQL has
 * the same in PL/pgSQL): on {@code devices}, {@code device_tags} and {@code device_manifests}, adds a row for each
 * device a write may have moved into or out of a selection, in the writing transaction. An update of
 * {@code devices} counts only when it changes the id, status, hardware, group or attributes (not
 * {@code last_seen_at}, written by check-ins); one of {@code device_manifests} only when the manifest changes.
 */
public final class MemberChangeTrigger implements org.h2.api.Trigger {
    private static final Set<String> DEVICE_COLUMNS = Set.of("ID", "STATUS", "HARDWARE_ID", "DEVICE_GROUP",
            "ATTRIBUTES");
    private int idColumn = -1;
    /** The columns whose change counts on an update (every column for {@code device_tags}). */
    private final List<Integer> watched = new ArrayList<>();

    @Override
    public void init(Connection conn, String schema, String trigger, String table, boolean before, int type)
            throws SQLException {
        boolean devices = table.equalsIgnoreCase("devices");
        boolean manifests = table.equalsIgnoreCase("device_manifests");
        try (ResultSet rs = conn.getMetaData().getColumns(null, schema, table, null)) {
            while (rs.next()) {
                String column = rs.getString("COLUMN_NAME").toUpperCase(java.util.Locale.ROOT);
                int index = rs.getInt("ORDINAL_POSITION") - 1;
                if (column.equals(devices ? "ID" : "DEVICE_ID")) {
                    idColumn = index;
                }
                if (devices ? DEVICE_COLUMNS.contains(column)
                        : !manifests || column.equals("DEVICE_ID") || column.equals("MANIFEST_JSON")) {
                    watched.add(index);
                }
            }
        }
        if (idColumn < 0) {
            throw new SQLException("no device id column in " + table);
        }
    }

    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
        if (oldRow != null && newRow != null
                && watched.stream().allMatch(i -> Objects.equals(oldRow[i], newRow[i]))) {
            return;
        }
        Set<String> ids = new LinkedHashSet<>();
        if (oldRow != null) {
            ids.add(String.valueOf(oldRow[idColumn]));
        }
        if (newRow != null) {
            ids.add(String.valueOf(newRow[idColumn]));
        }
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO rollout_member_changes (device_id) VALUES (?)")) {
            for (String id : ids) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
        }
    }
}
