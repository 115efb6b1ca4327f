package dev.flotilla.server.devices;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * A device as the listing shows it: the device and what its latest verified manifest says it runs and how it is
 * (all three null before its first check-in).
 *
 * @param installedTarget  the manifest's {@code installedTarget}
 * @param installedVersion the firmware version of that release; for a target that is no release of this server (a
 *                         factory image has no target at all), the manifest's own {@code installedVersion}
 * @param health           the manifest's {@code healthState}
 */
public record Listed(@JsonUnwrapped Device device, String installedTarget, String installedVersion, String health) {
}
