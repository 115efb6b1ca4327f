package dev.flotilla.agent.update;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * The persisted states of one update; the transitions are in {@link UpdateMachine}.
 * {@code slot} is always the slot being installed (the inactive slot when the update began).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "state")
@JsonSubTypes({
    @JsonSubTypes.Type(value = UpdateState.Idle.class, name = "IDLE"),
    @JsonSubTypes.Type(value = UpdateState.Downloading.class, name = "DOWNLOADING"),
    @JsonSubTypes.Type(value = UpdateState.Verifying.class, name = "VERIFYING"),
    @JsonSubTypes.Type(value = UpdateState.Installing.class, name = "INSTALLING"),
    @JsonSubTypes.Type(value = UpdateState.Installed.class, name = "INSTALLED"),
    @JsonSubTypes.Type(value = UpdateState.Rebooting.class, name = "REBOOTING"),
    @JsonSubTypes.Type(value = UpdateState.Trial.class, name = "TRIAL"),
    @JsonSubTypes.Type(value = UpdateState.HealthChecking.class, name = "HEALTH_CHECK"),
    @JsonSubTypes.Type(value = UpdateState.Committed.class, name = "COMMITTED"),
    @JsonSubTypes.Type(value = UpdateState.Failed.class, name = "FAILED"),
    @JsonSubTypes.Type(value = UpdateState.RollingBack.class, name = "ROLLING_BACK"),
    @JsonSubTypes.Type(value = UpdateState.RolledBack.class, name = "ROLLED_BACK"),
    @JsonSubTypes.Type(value = UpdateState.Withdrawn.class, name = "WITHDRAWN")})
public sealed interface UpdateState {

    /** The state's name as reported to the server, e.g. {@code "HEALTH_CHECK"}. */
    @JsonIgnore
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
