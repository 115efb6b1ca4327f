package dev.flotilla.server.devices;

import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.Map;

/**
 * The fleet at a glance, over active devices: how many run each version, hardware and health state,
 * how many are online ({@link Presence}), how many run a release below the newest security version of
 * their hardware, and how many trust a root older than the current one. Each figure is one indexed
 * aggregate query (V11), so a summary of 100,000 devices takes a few of them, not a scan per device.
 */
public final class FleetOverview {
    /**
     * One bucket: {@code label} as shown, {@code filter} the listing filter value that lists its devices (null
     * when there is none), and the count.
     */
    public record Count(String label, String filter, long count) {
    }

    /** The summary; {@code rootVersion} null before a root was uploaded. */
    public record Summary(long active, long decommissioned, long online, long neverSeen, List<Count> byVersion,
                          List<Count> byHardware, List<Count> byHealth, long belowSecurityVersion,
                          Long rootVersion, long behindRoot) {
        public long offline() {
            return active - online;
        }
    }

    /** The values the device list offers in its filters: release versions, hardware ids, health states. */
    public record Facets(List<String> versions, List<String> hardware, List<String> health) {
    }

    private static final String ACTIVE = " WHERE d.status = 'active'";
    private final Jdbi jdbi;
    private final TufStore tuf;
    private final ReleaseDetails releases;
    private final Presence presence;

    public FleetOverview(Jdbi jdbi, TufStore tuf, ReleaseDetails releases, Presence presence) {
        this.jdbi = jdbi;
        this.tuf = tuf;
        this.releases = releases;
        this.presence = presence;
    }

    /** The summary as of now. */
    public Summary summary() {
        return jdbi.withHandle(h -> {
            long active = count(h, "SELECT COUNT(*) FROM devices d" + ACTIVE);
            long all = count(h, "SELECT COUNT(*) FROM devices d");
            long online = h.createQuery("SELECT COUNT(*) FROM devices d" + ACTIVE + " AND d.last_seen_at >= :since")
                    .bind("since", presence.onlineSince()).mapTo(Long.class).one();
            long never = count(h, "SELECT COUNT(*) FROM devices d" + ACTIVE + " AND d.last_seen_at IS NULL");
            Long root = tuf.latest(h, "root").map(s -> s.version()).orElse(null);
            long behindRoot = root == null ? 0 : h.createQuery("SELECT COUNT(*) FROM devices d JOIN device_manifests m"
                    + " ON m.device_id = d.id" + ACTIVE + " AND m.trusted_root_version < :v")
                    .bind("v", root).mapTo(Long.class).one();
            return new Summary(active, all - active, online, never, byVersion(h), byHardware(h), byHealth(h),
                    belowSecurityVersion(h), root, behindRoot);
        });
    }

    /** What the device list's filters offer, each from an index or the small releases table. */
    public Facets facets() {
        return jdbi.withHandle(h -> new Facets(
                h.createQuery("SELECT DISTINCT version FROM releases ORDER BY version").mapTo(String.class).list(),
                h.createQuery("SELECT DISTINCT hardware_id FROM devices ORDER BY hardware_id").mapTo(String.class).list(),
                h.createQuery("SELECT DISTINCT health_state FROM device_manifests WHERE health_state IS NOT NULL"
                        + " ORDER BY health_state").mapTo(String.class).list()));
    }

    private static List<Count> byVersion(Handle h) {
        return h.createQuery("""
                        SELECT r.version AS version, m.installed_target AS target, COUNT(*) AS n
                        FROM devices d LEFT JOIN device_manifests m ON m.device_id = d.id
                        LEFT JOIN releases r ON r.target_path = m.installed_target
                        WHERE d.status = 'active'
                        GROUP BY r.version, m.installed_target ORDER BY n DESC, version, target""")
                .map((rs, ctx) -> {
                    String version = rs.getString("version");
                    String target = rs.getString("target");
                    String label = version != null ? version + " (" + target + ")"
                            : target != null ? target + " (not a current release)" : "no manifest yet";
                    return new Count(label, version, rs.getLong("n"));
                }).list();
    }

    private static List<Count> byHardware(Handle h) {
        return h.createQuery("SELECT d.hardware_id AS k, COUNT(*) AS n FROM devices d" + ACTIVE
                        + " GROUP BY d.hardware_id ORDER BY n DESC, k")
                .map((rs, ctx) -> new Count(rs.getString("k"), rs.getString("k"), rs.getLong("n"))).list();
    }

    private static List<Count> byHealth(Handle h) {
        return h.createQuery("SELECT m.health_state AS k, COUNT(*) AS n FROM devices d"
                        + " LEFT JOIN device_manifests m ON m.device_id = d.id" + ACTIVE
                        + " GROUP BY m.health_state ORDER BY n DESC, k")
                .map((rs, ctx) -> {
                    String k = rs.getString("k");
                    return new Count(k == null ? "not reported" : k, k, rs.getLong("n"));
                }).list();
    }

    /** Active devices whose manifest's security version is below the newest of their hardware's releases. */
    private long belowSecurityVersion(Handle h) {
        long total = 0;
        for (Map.Entry<String, Long> e : ReleaseDetails.newestSecurityVersions(releases.all(h)).entrySet()) {
            total += h.createQuery("SELECT COUNT(*) FROM devices d JOIN device_manifests m ON m.device_id = d.id"
                            + ACTIVE + " AND d.hardware_id = :hw AND m.security_version < :sv")
                    .bind("hw", e.getKey()).bind("sv", e.getValue()).mapTo(Long.class).one();
        }
        return total;
    }

    private static long count(Handle h, String sql) {
        return h.createQuery(sql).mapTo(Long.class).one();
    }
}
