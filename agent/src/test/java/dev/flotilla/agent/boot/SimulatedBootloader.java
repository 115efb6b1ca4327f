package dev.flotilla.agent.boot;

import static dev.flotilla.agent.boot.TrialState.BOOTCOUNT;
import static dev.flotilla.agent.boot.TrialState.BOOT_SLOT;
import static dev.flotilla.agent.boot.TrialState.UPGRADE_AVAILABLE;

import dev.flotilla.agent.testimage.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Boots a simulated device the way U-Boot's boot counter would, on any {@link BootEnv}.
 *
 * <p>One {@link #boot()}: when {@code upgrade_available=1}, increment {@code bootcount} and save; when
 * {@code bootcount > bootlimit} run the fallback ({@code altbootcmd}: switch {@code boot_slot} to the other
 * slot, clear {@code upgrade_available} and {@code bootcount}, save); then load {@code boot_slot}'s image,
 * write {@code flotilla.slot=X} to the kernel command line file and run the image's behaviour. The
 * bootloader's own writes do not go through the agent's storage seam (power cuts hit the agent only).
 */
public final class SimulatedBootloader {
    private final BootEnv env;
    private final Map<String, Path> slots;
    private final Path cmdline;

    /** What a boot did. */
    public sealed interface Outcome {
        String slot();

        /** The image started and the device runs; its health check may still fail. */
        record Running(String slot, TestImage.Header image) implements Outcome {
        }

        /** The image crashed, hung (the watchdog fired) or was not loadable: the device resets. */
        record Failed(String slot, String why) implements Outcome {
        }
    }

    /**
     * @param env the boot environment (the same one the agent's {@link BootControl} changes; the
     *     bootloader's own updates to it are not power-cut)
     * @param slots slot name to slot file or device
     * @param cmdline where the "kernel command line" is written for {@link EnvBootControl#activeSlot()}
     */
    public SimulatedBootloader(BootEnv env, Map<String, Path> slots, Path cmdline) {
        this.env = env;
        this.slots = Map.copyOf(slots);
        this.cmdline = cmdline;
    }

    /** Runs one boot. */
    public Outcome boot() throws IOException {
        TrialState t = TrialState.of(env.read());
        String slot = t.bootSlot();
        if (t.upgradeAvailable()) {
            int count = t.bootCount() + 1;
            if (t.bootLimit() > 0 && count > t.bootLimit()) {
                slot = BootControl.other(slot);
                env.set(Map.of(BOOT_SLOT, slot, UPGRADE_AVAILABLE, "0", BOOTCOUNT, "0"));
            } else {
                env.set(Map.of(BOOTCOUNT, Integer.toString(count)));
            }
        }
        Files.writeString(cmdline, "console=ttyS0 flotilla.slot=" + slot + "\n", StandardCharsets.UTF_8);
        Optional<TestImage.Header> image = TestImage.read(slots.get(slot));
        if (image.isEmpty()) {
            return new Outcome.Failed(slot, "no bootable image in slot " + slot);
        }
        return switch (image.get().behaviour()) {
            case BOOT_OK, FAIL_HEALTH_CHECK -> new Outcome.Running(slot, image.get());
            case CRASH_ON_BOOT -> new Outcome.Failed(slot, "kernel panic");
            case HANG -> new Outcome.Failed(slot, "hang, watchdog reset");
        };
    }

    /**
     * Boots until an image runs (each failed boot is a reset), at most {@code maxBoots} times.
     *
     * @throws IllegalStateException when no boot within {@code maxBoots} ran an image (a boot loop)
     */
    public Outcome.Running bootUntilRunning(int maxBoots) throws IOException {
        return bootUntilRunning(maxBoots, failed -> { });
    }

    /**
     * As {@link #bootUntilRunning(int)}, telling {@code onReset} of each boot that failed (before the reset).
     *
     * @throws IllegalStateException when no boot within {@code maxBoots} ran an image (a boot loop)
     */
    public Outcome.Running bootUntilRunning(int maxBoots, Consumer<Outcome.Failed> onReset) throws IOException {
        for (int i = 0; i < maxBoots; i++) {
            Outcome o = boot();
            if (o instanceof Outcome.Running r) {
                return r;
            }
            onReset.accept((Outcome.Failed) o);
        }
        throw new IllegalStateException("boot loop: no image ran in " + maxBoots + " boots");
    }
}
