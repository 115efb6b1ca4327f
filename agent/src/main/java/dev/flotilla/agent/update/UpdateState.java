package dev.flotilla.agent.update;

/**
 * The persisted states of one update (in the state file: {@link StateJson}); the transitions are in
 * {@link UpdateMachine}.
 * {@code slot} is always the slot being installed (the inactive slot when the update began).
 */
public sealed interface UpdateState {

    /** The state's name as reported to the server, e.g. {@code "HEALTH_CHECK"}. */
    default String label() {
        return switch (this) {
            case Idle s -> "IDLE";
            case Downloading s -> "DOWNLOADING";
            case Verifying s -> "VERIFYING";
            case Installing s -> "INSTALLING";
            case Installed s -> "INSTALLED";
            case Rebooting s -> "REBOOTING";
            case Trial s -> "TRIAL";
            case HealthChecking s -> "HEALTH_CHECK";
            case Committed s -> "COMMITTED";
            case Failed s -> "FAILED";
            case RollingBack s -> "ROLLING_BACK";
            case RolledBack s -> "ROLLED_BACK";
            case Withdrawn s -> "WITHDRAWN";
        };
    }

    /** No update in progress. */
    record Idle() implements UpdateState {
    }

    /** Streaming the image into {@code slot}; {@code offset} bytes are written and fsynced. */
    record Downloading(Assignment assignment, String slot, long offset) implements UpdateState {
    }

    /** Reading the slot back and hashing it. */
    record Verifying(Assignment assignment, String slot) implements UpdateState {
    }

    /** Arming the trial boot of the slot. */
    record Installing(Assignment assignment, String slot) implements UpdateState {
    }

    /** The trial is armed. */
    record Installed(Assignment assignment, String slot) implements UpdateState {
    }

    /** Restarting into the trial; after the restart, finds out which slot booted. */
    record Rebooting(Assignment assignment, String slot) implements UpdateState {
    }

    /** Booted the new slot, not yet confirmed. */
    record Trial(Assignment assignment, String slot) implements UpdateState {
    }

    /** Running the health checks on the new slot. */
    record HealthChecking(Assignment assignment, String slot) implements UpdateState {
    }

    /** Health checks passed: marking the slot good and raising the anti-rollback counter. */
    record Committed(Assignment assignment, String slot) implements UpdateState {
    }

    /** The update failed before the reboot; the active slot was never touched. {@code slot} may be null. */
    record Failed(Assignment assignment, String slot, ReasonCode reason, String detail) implements UpdateState {
    }

    /** Marking the new slot bad and restarting into the old one. */
    record RollingBack(Assignment assignment, String slot, ReasonCode reason, String detail)
            implements UpdateState {
    }

    /**
     * The deployment was withdrawn before the device started installing it: disarming a trial armed before a
     * power cut, then back to IDLE. The active slot was never touched.
     */
    record Withdrawn(Assignment assignment, String slot) implements UpdateState {
    }

    /** Back on the old slot. */
    record RolledBack(Assignment assignment, ReasonCode reason, String detail) implements UpdateState {
    }
}
