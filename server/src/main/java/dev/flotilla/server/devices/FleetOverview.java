package dev.flotilla.server.devices;

import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.store.Consistency;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fleet at a glance, over active devices: how many run each version, hardware and health state,
 * how many are online ({@link Presence}), how many run a release below the newest security version of
 * their hardware, and how many trust a root older than the current one. All from one grouped scan of the
 * devices with their manifests (V11 columns) plus the small releases table, so the cost of a summary is one
 * pass over the fleet, not a query per figure or per device. A summary first writes this server's pending idle
 * check-in times ({@link Consistency#current}), so that its online count is current.
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
        @com.fasterxml.jackson.annotation.JsonProperty("offline")
        public long offline() {
            return active - online;
        }
    }

    /** The values the device list offers in its filters: release versions, hardware ids, health states. */
    public record Facets(List<String> versions, List<String> hardware, List<String> health) {
    }

    private final Jdbi jdbi;
    private final TufStore tuf;
    private final ReleaseDetails releases;
    private final Presence presence;
    private final Consistency consistency;
    private final AtomicLong summaries = new AtomicLong();

    /** @param consistency writes the pending idle check-in times before each summary ({@link Consistency#current}) */
    public FleetOverview(Jdbi jdbi, TufStore tuf, ReleaseDetails releases, Presence presence, Consistency consistency) {
        this.jdbi = jdbi;
        this.tuf = tuf;
        this.releases = releases;
        this.presence = presence;
        this.consistency = consistency;
    }

    /**
     * The summary as of now: one scan of the fleet after writing this server's pending idle check-in times (callers
     * that may share one use the dashboard's).
     */
    public Summary summary() {
        summaries.incrementAndGet();
        return consistency.current(() -> jdbi.withHandle(h -> {
            Long root = tuf.latest(h, "root").map(TufStore.Stored::version).orElse(null);
            List<ReleaseDetails.Detail> details = releases.all(h);
            Map<String, String> versions = new HashMap<>();
            details.forEach(d -> versions.put(d.release().targetPath(), d.release().version()));
            return tally(groups(h, root), versions, FleetBaseline.of(details, root).newestSecurityVersions(), root);
        }));
    }

    /**
     * What the devices should have caught up with now (the newest security version of each hardware id's
     * releases, the current root version): the baseline of the summary's "below the newest security version" and
     * "trust an older root", and of the device list's filters on them.
     */
    public FleetBaseline baseline() {
        return jdbi.withHandle(h -> FleetBaseline.read(h, tuf, releases));
    }

    /** How many summaries this instance has taken (each a scan of every device), since it was made. */
    public long summariesTaken() {
        return summaries.get();
    }

    /** One group of devices alike in everything the summary counts. */
    private record Group(boolean active, String hardware, String target, String health, Boolean seenRecently,
                         boolean behindRoot, Long securityVersion, long count) {
    }

    /**
     * The fleet in groups: one scan of the devices with their manifests, grouped by what the summary counts
     * (a few hundred groups for a real fleet, whatever its size).
     */
    private List<Group> groups(Handle h, Long root) {
        return h.createQuery("""
                        SELECT status, hw, target, health, sv, seen, behind, COUNT(*) AS n FROM (
                            SELECT d.status AS status, d.hardware_id AS hw, m.installed_target AS target,
                                   m.health_state AS health, m.security_version AS sv,
                                   CASE WHEN d.last_seen_at IS NULL THEN -1
                                        WHEN d.last_seen_at >= :since THEN 1 ELSE 0 END AS seen,
                                   CASE WHEN m.trusted_root_version < :root THEN 1 ELSE 0 END AS behind
                            FROM devices d LEFT JOIN device_manifests m ON m.device_id = d.id) f
                        GROUP BY status, hw, target, health, sv, seen, behind""")
                .bind("since", presence.onlineSince()).bind("root", root == null ? Long.MIN_VALUE : root)
                .map((rs, ctx) -> {
                    int seen = rs.getInt("seen");
                    return new Group(Device.ACTIVE.equals(rs.getString("status")), rs.getString("hw"),
                            rs.getString("target"), rs.getString("health"), seen < 0 ? null : seen == 1,
                            rs.getInt("behind") == 1, (Long) rs.getObject("sv", Long.class), rs.getLong("n"));
                }).list();
    }

    private static Summary tally(List<Group> groups, Map<String, String> versions, Map<String, Long> newest,
                                 Long root) {
        long active = 0, decommissioned = 0, online = 0, never = 0, below = 0, behind = 0;
        Map<String, Long> byHardware = new HashMap<>();
        Map<String, Long> byHealth = new HashMap<>();
        Map<List<String>, Long> byVersion = new HashMap<>();
        for (Group g : groups) {
            if (!g.active()) {
                decommissioned += g.count();
                continue;
            }
            active += g.count();
            online += Boolean.TRUE.equals(g.seenRecently()) ? g.count() : 0;
            never += g.seenRecently() == null ? g.count() : 0;
            behind += g.behindRoot() ? g.count() : 0;
            Long max = newest.get(g.hardware());
            below += max != null && g.securityVersion() != null && g.securityVersion() < max ? g.count() : 0;
            byHardware.merge(g.hardware(), g.count(), Long::sum);
            byHealth.merge(g.health() == null ? "" : g.health(), g.count(), Long::sum);
            byVersion.merge(Arrays.asList(versions.get(g.target()), g.target()), g.count(), Long::sum);
        }
        List<Count> version = new ArrayList<>();
        byVersion.forEach((k, n) -> version.add(new Count(versionLabel(k.get(0), k.get(1)), k.get(0), n)));
        List<Count> hardware = new ArrayList<>();
        byHardware.forEach((k, n) -> hardware.add(new Count(k, k, n)));
        List<Count> health = new ArrayList<>();
        byHealth.forEach((k, n) -> health.add(new Count(k.isEmpty() ? "not reported" : k, k.isEmpty() ? null : k, n)));
        return new Summary(active, decommissioned, online, never, sorted(version), sorted(hardware), sorted(health),
                below, root, root == null ? 0 : behind);
    }

    private static String versionLabel(String version, String target) {
        return version != null ? version + " (" + target + ")"
                : target != null ? target + " (not a current release)" : "no manifest yet";
    }

    /** Largest first, then by label. */
    private static List<Count> sorted(List<Count> counts) {
        counts.sort(Comparator.comparingLong(Count::count).reversed().thenComparing(Count::label));
        return List.copyOf(counts);
    }

    /** What the device list's filters offer, each from an index or the small releases table. */
    public Facets facets() {
        return jdbi.withHandle(h -> new Facets(
                h.createQuery("SELECT DISTINCT version FROM releases ORDER BY version").mapTo(String.class).list(),
                h.createQuery("SELECT DISTINCT hardware_id FROM devices ORDER BY hardware_id").mapTo(String.class).list(),
                h.createQuery("SELECT DISTINCT health_state FROM device_manifests WHERE health_state IS NOT NULL"
                        + " ORDER BY health_state").mapTo(String.class).list()));
    }
}
