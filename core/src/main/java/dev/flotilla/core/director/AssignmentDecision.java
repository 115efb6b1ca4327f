package dev.flotilla.core.director;

import dev.flotilla.core.firmware.FirmwareDecision;
import dev.flotilla.core.tuf.client.TargetInfo;

/** The outcome of {@link AssignmentVerifier#verify}: install the target, or refuse with a stable reason. */
public sealed interface AssignmentDecision {
    /** Why an assignment was refused; codes a device reports to the server. */
    enum Reason {
        /** Not an assignment envelope, or a field is missing or mistyped. */
        MALFORMED,
        /** The trusted root has no {@code director} role. */
        NO_DIRECTOR_ROLE,
        /** Not signed by the director role's threshold. */
        UNSIGNED,
        /** The assignment names another device. */
        WRONG_DEVICE,
        /** The counter is not above the last accepted one (a replay or an old assignment). */
        REPLAYED,
        /** The assignment's expiry has passed. */
        EXPIRED,
        /** The verified TUF targets do not list the assigned target path. */
        UNKNOWN_TARGET,
        /** The verified TUF entry has another length or other hashes than the assignment. */
        TARGET_MISMATCH,
        /** The target's firmware fields refuse it for this device (see {@link FirmwareDecision.Reason}). */
        FIRMWARE_POLICY
    }

    /** Install {@code target} (its TUF entry, verified by the targets role); remember {@code assignment.counter()}. */
    record Accept(Assignment assignment, TargetInfo target) implements AssignmentDecision {
    }

    /** Do not install. {@code firmwareReason} is set for {@link Reason#FIRMWARE_POLICY}. */
    record Refuse(Reason reason, String message, FirmwareDecision.Reason firmwareReason) implements AssignmentDecision {
        public Refuse(Reason reason, String message) {
            this(reason, message, null);
        }
    }

    default boolean accepted() {
        return this instanceof Accept;
    }
}
