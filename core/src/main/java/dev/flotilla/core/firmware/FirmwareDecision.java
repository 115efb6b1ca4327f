package dev.flotilla.core.firmware;

/** The outcome of {@link FirmwarePolicy#check}: install the image, or refuse it with a reason. */
public sealed interface FirmwareDecision {
    /** Why an image was refused; stable codes a device reports to the server. */
    enum Reason {
        /** The image does not list the device's hardware id. */
        HARDWARE_MISMATCH,
        /** The image's securityVersion is below the device's anti-rollback counter. */
        SECURITY_VERSION_TOO_LOW,
        /** The installed version is below the image's minInstalledVersion (or unknown). */
        INSTALLED_VERSION_TOO_LOW,
        /** The image's version is the one already installed. */
        ALREADY_INSTALLED
    }

    /** The image may be installed. */
    record Accept() implements FirmwareDecision {
    }

    /** The image must not be installed. */
    record Refuse(Reason reason, String message) implements FirmwareDecision {
    }

    default boolean accepted() {
        return this instanceof Accept;
    }
}
