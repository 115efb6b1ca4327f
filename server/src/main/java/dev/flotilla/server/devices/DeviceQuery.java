package dev.flotilla.server.devices;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SQL of a {@link DeviceFilter}: a {@code WHERE} clause over {@code devices d} (joined with its manifest
 * {@code m} when a filter needs it) and its bindings. Each condition is on an indexed column (V11).
 *
 * <p>Two forms of the same filter. {@link #from} lets the database pick its plan; for a filter that matches
 * many devices H2 then reads every match through the filter's index and sorts them by id, however few rows
 * the page takes. {@link #walkFrom} (H2 only) reads the devices in id order and stops once the page is full:
 * no index but the id index {@code devices_walk_idx} (V22) for {@code d}, and the manifest's conditions as an
 * {@code EXISTS} (a device has at most one manifest row, so it matches the same devices as the join) so that
 * {@code d} stays the outer table.
 */
final class DeviceQuery {
    /** How a prefix search ({@code q}) is written. */
    enum Search {
        /**
         * One condition, the ids of either prefix match: {@code d.id IN (... UNION ...)}, two index lookups on
         * PostgreSQL (V19). H2 evaluates it well only for a first page: with {@code d.id > :after} it reads the
         * devices after that id one by one against the subquery, and inside a count's derived table it reads every
         * device for each side.
         */
        UNION(" AND d.id IN (SELECT p.id FROM devices p WHERE p.id LIKE :q ESCAPE '!'"
                + " UNION SELECT p.id FROM devices p WHERE p.key_id LIKE :q ESCAPE '!')"),
        /** The devices whose id has the prefix (a range of the primary key). */
        ID(" AND d.id LIKE :q ESCAPE '!'"),
        /** The devices whose key id has the prefix (a range of the key id's unique index). */
        KEY_ID(" AND d.key_id LIKE :q ESCAPE '!'"),
        /** The devices whose id and key id both have it (what {@link #ID} and {@link #KEY_ID} share). */
        BOTH(" AND d.id LIKE :q ESCAPE '!' AND d.key_id LIKE :q ESCAPE '!'");

        private final String condition;

        Search(String condition) {
            this.condition = condition;
        }
    }

    private final StringBuilder where = new StringBuilder(" WHERE 1 = 1");
    private final StringBuilder manifestWhere = new StringBuilder();
    private final Map<String, Object> binds = new LinkedHashMap<>();
    private final boolean manifest;
    private final boolean search;
    private final boolean rollout;

    DeviceQuery(DeviceFilter f) {
        this(f, Search.UNION);
    }

    /** The filter with its prefix search, if any, written as {@code how}. */
    DeviceQuery(DeviceFilter f, Search how) {
        manifest = f.needsManifest();
        search = f.search() != null;
        rollout = f.rollout() != null;
        add(f.hardwareId(), "d.hardware_id = :hw", "hw");
        add(f.group(), "d.device_group = :grp", "grp");
        add(f.status(), "d.status = :status", "status");
        add(f.tag(), "EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = :tag)", "tag");
        add(manifestWhere, f.health(), "m.health_state = :health", "health");
        add(manifestWhere, f.installedVersion(),
                "m.installed_target IN (SELECT r.target_path FROM releases r WHERE r.version = :iv)", "iv");
        if (f.securityVersion() != null) {
            manifestWhere.append(" AND ").append(securityVersion(f.baseline().newestSecurityVersions(),
                    DeviceFilter.BEHIND.equals(f.securityVersion()) ? "<" : ">="));
        }
        if (f.trustedRoot() != null) {
            Long root = f.baseline().rootVersion();
            manifestWhere.append(root == null ? " AND 1 = 0" : DeviceFilter.BEHIND.equals(f.trustedRoot())
                    ? " AND m.trusted_root_version < :root" : " AND m.trusted_root_version >= :root");
            if (root != null) {
                binds.put("root", root);
            }
        }
        if (f.attribute() != null) {
            where.append(" AND EXISTS (SELECT 1 FROM device_attributes a WHERE a.device_id = d.id"
                    + " AND a.attr_name = :an AND a.attr_value = :av)");
            binds.put("an", f.attribute().name());
            binds.put("av", f.attribute().value());
        }
        if (f.search() != null) {
            // Two prefix matches, each from its own index, rather than one OR that scans.
            where.append(how.condition);
            binds.put("q", f.search().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
        }
        if (f.rollout() != null) {
            // driven by the rollout's rows (a range of their primary key), not by a walk of every device
            where.append(" AND d.id IN (SELECT rd.device_id FROM rollout_devices rd WHERE rd.rollout_id = :ro"
                    + (f.rolloutState() == null ? "" : " AND rd.state = :rs") + ")");
            binds.put("ro", f.rollout());
            if (f.rolloutState() != null) {
                binds.put("rs", f.rolloutState().equals("pending") ? "assigned" : f.rolloutState());
            }
        }
        if (f.connectivity() != null) {
            where.append(DeviceFilter.ONLINE.equals(f.connectivity())
                    ? " AND d.last_seen_at >= :since" : " AND (d.last_seen_at IS NULL OR d.last_seen_at < :since)");
            binds.put("since", f.onlineSince());
        }
    }

    /**
     * The devices whose manifest's security version compares ({@code <} or {@code >=}) with the newest of their
     * hardware: one term per hardware id that has one (a handful), none matching when no hardware has one.
     */
    private String securityVersion(Map<String, Long> newest, String comparison) {
        if (newest.isEmpty()) {
            return "1 = 0";
        }
        StringBuilder terms = new StringBuilder("(");
        int i = 0;
        for (Map.Entry<String, Long> e : newest.entrySet()) {
            terms.append(i == 0 ? "" : " OR ").append("(d.hardware_id = :svh").append(i)
                    .append(" AND m.security_version ").append(comparison).append(" :svv").append(i).append(')');
            binds.put("svh" + i, e.getKey());
            binds.put("svv" + i, e.getValue());
            i++;
        }
        return terms.append(')').toString();
    }

    private void add(String value, String condition, String name) {
        add(where, value, condition, name);
    }

    private void add(StringBuilder to, String value, String condition, String name) {
        if (value != null) {
            to.append(" AND ").append(condition);
            binds.put(name, value);
        }
    }

    /** {@code FROM ... WHERE ...} for this filter, plus {@code extra} conditions (starting with AND). */
    String from(String extra) {
        return " FROM devices d" + (manifest ? " JOIN device_manifests m ON m.device_id = d.id" : "") + where
                + manifestWhere + extra;
    }

    /**
     * As {@link #from}, in H2's syntax, for a walk of the devices in id order: {@code USE INDEX
     * (devices_walk_idx)} leaves H2 only an index of the ids (V22; H2 then reads through the primary key, which
     * holds the same ids) for {@code d}, which serves {@code ORDER BY d.id} and an {@code id > :after} range,
     * so H2 stops reading at the {@code LIMIT}.
     */
    String walkFrom(String extra) {
        return " FROM devices d USE INDEX (devices_walk_idx)" + where + (manifest
                ? " AND EXISTS (SELECT 1 FROM device_manifests m WHERE m.device_id = d.id" + manifestWhere + ")" : "")
                + extra;
    }

    /** Binds this filter's values on {@code q}. */
    Query bind(Query q) {
        binds.forEach(q::bind);
        return q;
    }

    /**
     * Whether {@link #walkFrom} suits this filter: not for a prefix search, which two indexes answer directly
     * (and whose subquery H2 would evaluate again for each device walked), nor for a rollout's devices, which its
     * rows name.
     */
    boolean walkable() {
        return !search && !rollout;
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
