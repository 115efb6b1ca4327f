package dev.flotilla.agent.boot;

import java.util.Map;

/**
 * The boot-counter variables: {@code boot_slot}, {@code upgrade_available}, {@code bootcount},
 * {@code bootlimit}.
 */
public record TrialState(String bootSlot, boolean upgradeAvailable, int bootCount, int bootLimit) {
    public static final String BOOT_SLOT = "boot_slot";
    public static final String UPGRADE_AVAILABLE = "upgrade_available";
    public static final String BOOTCOUNT = "bootcount";
    public static final String BOOTLIMIT = "bootlimit";

    /** Reads the variables from an environment; missing counters read as 0, a missing slot as "a". */
    public static TrialState of(Map<String, String> env) {
        return new TrialState(env.getOrDefault(BOOT_SLOT, "a"), "1".equals(env.get(UPGRADE_AVAILABLE)),
                intOf(env.get(BOOTCOUNT)), intOf(env.get(BOOTLIMIT)));
    }

    private static int intOf(String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("boot environment holds a non-numeric counter: '" + s + "'", e);
        }
    }
}
