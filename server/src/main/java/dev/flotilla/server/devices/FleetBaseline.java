package dev.flotilla.server.devices;

import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a device should have caught up with: the newest firmware security version among the releases of each
 * hardware id (from the security versions the current targets metadata signs), and the version of the current
 * root. The fleet overview counts the devices behind it, and the device list's {@code securityVersion} and
 * {@code trustedRoot} filters list them ({@link DeviceFilter}).
 *
 * @param newestSecurityVersions by hardware id; a hardware id with no release that names a security version is
 *                               absent
 * @param rootVersion            the current root's version, null before a root was uploaded
 */
public record FleetBaseline(Map<String, Long> newestSecurityVersions, Long rootVersion) {
    public FleetBaseline {
        newestSecurityVersions = java.util.Collections.unmodifiableMap(new TreeMap<>(newestSecurityVersions));
    }

    /** The baseline from the releases (with their signed details) and the current root version. */
    static FleetBaseline of(List<ReleaseDetails.Detail> releases, Long rootVersion) {
        return new FleetBaseline(ReleaseDetails.newestSecurityVersions(releases), rootVersion);
    }

    /** The baseline as stored now, read on {@code h}. */
    static FleetBaseline read(Handle h, TufStore tuf, ReleaseDetails releases) {
        return of(releases.all(h), tuf.latest(h, "root").map(TufStore.Stored::version).orElse(null));
    }
}
