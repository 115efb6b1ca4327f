package dev.flotilla.core.firmware;

/**
 * What a device knows about itself when it judges an image.
 *
 * @param hardwareId       the device's hardware id
 * @param installedVersion the running image's version, or null when nothing known is installed
 * @param securityCounter  the highest committed securityVersion (the anti-rollback counter), >= 0
 */
public record DeviceFacts(String hardwareId, String installedVersion, long securityCounter) {
    public DeviceFacts {
        if (hardwareId == null || hardwareId.isBlank()) {
            throw new IllegalArgumentException("hardwareId must not be blank");
        }
        if (securityCounter < 0) {
            throw new IllegalArgumentException("securityCounter must be >= 0");
        }
    }
}
