package dev.flotilla.server.devices;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SQL of a {@link DeviceFilter}: a {@code WHERE} clause over {@code devices d} (joined with its manifest
 * {@code m} when a filter needs it) and its bindings. Each condition is on an indexed column (V11).
 */
final class DeviceQuery {
    private final StringBuilder where = new StringBuilder(" WHERE 1 = 1");
    private final Map<String, Object> binds = new LinkedHashMap<>();
    private final boolean manifest;

    DeviceQuery(DeviceFilter f) {
        manifest = f.needsManifest();
        add(f.hardwareId(), "d.hardware_id = :hw", "hw");
        add(f.group(), "d.device_group = :grp", "grp");
        add(f.status(), "d.status = :status", "status");
        add(f.tag(), "EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = :tag)", "tag");
        add(f.health(), "m.health_state = :health", "health");
        add(f.installedVersion(), "m.installed_target IN (SELECT r.target_path FROM releases r WHERE r.version = :iv)",
                "iv");
        if (f.attribute() != null) {
            where.append(" AND EXISTS (SELECT 1 FROM device_attributes a WHERE a.device_id = d.id"
                    + " AND a.attr_name = :an AND a.attr_value = :av)");
            binds.put("an", f.attribute().name());
            binds.put("av", f.attribute().value());
        }
        if (f.search() != null) {
            // Two prefix matches, each from its own index (V19 on PostgreSQL), rather than one OR that scans.
            where.append(" AND d.id IN (SELECT p.id FROM devices p WHERE p.id LIKE :q ESCAPE '!'"
                    + " UNION SELECT p.id FROM devices p WHERE p.key_id LIKE :q ESCAPE '!')");
            binds.put("q", f.search().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
        }
        if (f.connectivity() != null) {
            where.append(DeviceFilter.ONLINE.equals(f.connectivity())
                    ? " AND d.last_seen_at >= :since" : " AND (d.last_seen_at IS NULL OR d.last_seen_at < :since)");
            binds.put("since", f.onlineSince());
        }
    }

    private void add(String value, String condition, String name) {
        if (value != null) {
            where.append(" AND ").append(condition);
            binds.put(name, value);
        }
    }

    /** {@code FROM ... WHERE ...} for this filter, plus {@code extra} conditions (starting with AND). */
    String from(String extra) {
        return " FROM devices d" + (manifest ? " JOIN device_manifests m ON m.device_id = d.id" : "") + where + extra;
    }

    /** Binds this filter's values on {@code q}. */
    Query bind(Query q) {
        binds.forEach(q::bind);
        return q;
    }

    /** How many devices match. */
    long count(Handle h) {
        return bind(h.createQuery("SELECT COUNT(*)" + from(""))).mapTo(Long.class).one();
    }

    /** How many devices match, counting no further than {@code limit}: reads at most that many matches. */
    long countUpTo(Handle h, long limit) {
        return bind(h.createQuery("SELECT COUNT(*) FROM (SELECT 1" + from(" LIMIT :countLimit") + ") c"))
                .bind("countLimit", limit).mapTo(Long.class).one();
    }
}
