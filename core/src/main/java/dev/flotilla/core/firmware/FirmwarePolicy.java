package dev.flotilla.core.firmware;

/**
 * The device-side checks on a target's firmware fields, made after TUF verified the target and before a
 * byte is written to a slot. Checks run in this order and the first failure decides:
 * <ol>
 *   <li>the image lists the device's hardware id ({@link FirmwareDecision.Reason#HARDWARE_MISMATCH});</li>
 *   <li>{@code securityVersion >= } the device's counter ({@link FirmwareDecision.Reason#SECURITY_VERSION_TOO_LOW});</li>
 *   <li>when the image names a {@code minInstalledVersion}, the installed version is known and not older
 *   ({@link FirmwareDecision.Reason#INSTALLED_VERSION_TOO_LOW});</li>
 *   <li>the image's version differs from the installed one by {@link Version}'s order
 *   ({@link FirmwareDecision.Reason#ALREADY_INSTALLED}).</li>
 * </ol>
 * An older version than the installed one is accepted on purpose (a deliberate downgrade); the
 * securityVersion counter is what blocks rollback to vulnerable images.
 */
public final class FirmwarePolicy {
    private FirmwarePolicy() {
    }

    public static FirmwareDecision check(FirmwareInfo image, DeviceFacts device) {
        if (!image.supportsHardware(device.hardwareId())) {
            return refuse(FirmwareDecision.Reason.HARDWARE_MISMATCH, "image is for " + image.hardwareIds()
                    + ", device is '" + device.hardwareId() + "'");
        }
        if (image.securityVersion() < device.securityCounter()) {
            return refuse(FirmwareDecision.Reason.SECURITY_VERSION_TOO_LOW, "image securityVersion "
                    + image.securityVersion() + " is below the device's counter " + device.securityCounter());
        }
        Version installed = installed(device);
        if (image.minInstalledVersion() != null) {
            Version min = Version.parse(image.minInstalledVersion());
            if (installed == null || installed.isOlderThan(min)) {
                return refuse(FirmwareDecision.Reason.INSTALLED_VERSION_TOO_LOW, "image needs installed version >= "
                        + min + ", device has " + (installed == null ? "none known" : installed));
            }
        }
        if (installed != null && installed.equals(image.parsedVersion())) {
            return refuse(FirmwareDecision.Reason.ALREADY_INSTALLED, "version " + image.version()
                    + " is already installed");
        }
        return new FirmwareDecision.Accept();
    }

    /** The installed version, or null when unknown or not a valid version string. */
    private static Version installed(DeviceFacts device) {
        String v = device.installedVersion();
        return v != null && Version.isValid(v) ? Version.parse(v) : null;
    }

    private static FirmwareDecision refuse(FirmwareDecision.Reason reason, String message) {
        return new FirmwareDecision.Refuse(reason, message);
    }
}
