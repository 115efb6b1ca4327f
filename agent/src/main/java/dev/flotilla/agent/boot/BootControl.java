package dev.flotilla.agent.boot;

import java.io.IOException;

/**
 * The bootloader contract: which slot is running, and the boot-counter flow of a trial boot.
 *
 * <p>Slots are named {@code "a"} and {@code "b"}. A trial works like U-Boot's boot counter:
 * {@link #armTrial} makes the bootloader boot the new slot with {@code upgrade_available=1}; every boot
 * increments {@code bootcount}; when {@code bootcount > bootlimit} the bootloader runs its fallback
 * ({@code altbootcmd}) and boots the other slot again. {@link #markGood} ends the trial on the running
 * slot. Every change of the boot environment is atomic (all variables or none) and is read back.
 */
public interface BootControl {

    /** The slot the device booted from (as the bootloader told the kernel). */
    String activeSlot() throws IOException;

    /** The boot environment's view of the trial. */
    TrialState trialState() throws IOException;

    /** Makes the next boot a trial of {@code slot}, allowing {@code tries} boots before the fallback. */
    void armTrial(String slot, int tries) throws IOException;

    /** Confirms the running slot: clears {@code upgrade_available} and {@code bootcount}. */
    void markGood() throws IOException;

    /** Makes the bootloader stop booting {@code slot} when it is the boot target: back to the other slot. */
    void markBad(String slot) throws IOException;

    /** Restarts the device; on a real device this does not return normally. */
    void reboot() throws IOException;

    /** The other slot's name. */
    static String other(String slot) {
        return switch (slot) {
            case "a" -> "b";
            case "b" -> "a";
            default -> throw new IllegalArgumentException("unknown slot '" + slot + "' (expected a or b)");
        };
    }
}
