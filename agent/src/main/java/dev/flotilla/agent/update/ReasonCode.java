package dev.flotilla.agent.update;

/** Why a transition happened; reported with every event. */
public enum ReasonCode {
    ASSIGNMENT_RECEIVED,
    DOWNLOADED,
    VERIFIED,
    TRIAL_ARMED,
    REBOOT_REQUESTED,
    BOOTED_NEW_SLOT,
    HEALTH_CHECK_STARTED,
    HEALTH_CHECKS_PASSED,
    /** Reported only after the slot was marked good and the counter raised. */
    UPDATE_SUCCEEDED,
    UPDATE_FAILED,
    UPDATE_ROLLED_BACK,
    SECURITY_VERSION_TOO_LOW,
    DOWNLOAD_FAILED,
    LENGTH_MISMATCH,
    HASH_MISMATCH,
    STORAGE_FULL,
    SLOT_REFUSED,
    BOOT_ENV_ERROR,
    /** The new slot did not come up; the bootloader fell back to the old one. */
    BOOT_FAILED,
    HEALTH_CHECK_FAILED,
    /** After a commit, within the post-commit period, a round of health checks failed (event health_failed). */
    HEALTH_FAILED,
    /** The loop guard: a state was re-entered too often. */
    REENTRY_LIMIT,
    /** A signed assignment withdrew the deployment the device held and had not started installing. */
    WITHDRAWN,
    /** The withdrawn assignment is dropped; the device is idle on what it runs. */
    UPDATE_WITHDRAWN,
    /** A newer signed assignment of the same image replaced the one held (new flags, window or deployment). */
    ASSIGNMENT_UPDATED
}
