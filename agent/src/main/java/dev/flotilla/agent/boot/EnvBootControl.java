package dev.flotilla.agent.boot;

import static dev.flotilla.agent.boot.TrialState.BOOTCOUNT;
import static dev.flotilla.agent.boot.TrialState.BOOTLIMIT;
import static dev.flotilla.agent.boot.TrialState.BOOT_SLOT;
import static dev.flotilla.agent.boot.TrialState.UPGRADE_AVAILABLE;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link BootControl} over a {@link BootEnv}: the same boot-counter variables for the simulated, U-Boot and
 * GRUB backends.
 *
 * <p>The running slot comes from the kernel command line ({@code flotilla.slot=a|b}, put there by the boot
 * script; see docs/device-integration.md), read from {@code cmdline} (normally {@code /proc/cmdline}).
 */
public final class EnvBootControl implements BootControl {
    private final BootEnv env;
    private final Path cmdline;
    private final Rebooter rebooter;

    /** How the device restarts: a command on a real device, a signal to the harness in simulations. */
    @FunctionalInterface
    public interface Rebooter {
        void reboot() throws IOException;
    }

    /** A rebooter that runs {@code command} (e.g. {@code systemctl reboot}) and fails when it exits non-zero. */
    public static Rebooter command(java.util.List<String> command) {
        return () -> {
            Process p = new ProcessBuilder(command).inheritIO().start();
            try {
                if (p.waitFor() != 0) {
                    throw new IOException(String.join(" ", command) + " exited " + p.exitValue());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while requesting a reboot", e);
            }
        };
    }

    public EnvBootControl(BootEnv env, Path cmdline, Rebooter rebooter) {
        this.env = env;
        this.cmdline = cmdline;
        this.rebooter = rebooter;
    }

    /** The simulated backend: a state file with U-Boot semantics, changed through the storage seam. */
    public static EnvBootControl simulated(Path stateFile, Path cmdline, Durable durable, Rebooter rebooter) {
        return new EnvBootControl(new SimulatedEnv(stateFile, durable), cmdline, rebooter);
    }

    /** The U-Boot backend: fw_printenv / fw_setenv with the given fw_env.config. */
    public static EnvBootControl uboot(Path fwEnvConfig, Path cmdline, Durable durable, Rebooter rebooter) {
        return new EnvBootControl(new UBootEnv(fwEnvConfig, durable), cmdline, rebooter);
    }

    /** The GRUB backend: grub-editenv on a grubenv file. */
    public static EnvBootControl grub(Path grubenv, Path cmdline, Durable durable, Rebooter rebooter) {
        return new EnvBootControl(new GrubEnv(grubenv, durable), cmdline, rebooter);
    }

    /** The environment this control changes (the simulated bootloader reads the same one). */
    public BootEnv env() {
        return env;
    }

    @Override
    public String activeSlot() throws IOException {
        String text = Files.readString(cmdline, StandardCharsets.UTF_8);
        for (String word : text.trim().split("\\s+")) {
            if (word.startsWith("flotilla.slot=")) {
                String slot = word.substring("flotilla.slot=".length());
                BootControl.other(slot);
                return slot;
            }
        }
        throw new BootEnvException("no flotilla.slot= on the kernel command line in " + cmdline
                + " (see docs/device-integration.md)");
    }

    @Override
    public TrialState trialState() throws IOException {
        return TrialState.of(env.read());
    }

    @Override
    public void armTrial(String slot, int tries) throws IOException {
        BootControl.other(slot);
        if (tries < 1) {
            throw new IllegalArgumentException("a trial needs at least one try");
        }
        Map<String, String> c = new LinkedHashMap<>();
        c.put(BOOT_SLOT, slot);
        c.put(UPGRADE_AVAILABLE, "1");
        c.put(BOOTCOUNT, "0");
        c.put(BOOTLIMIT, Integer.toString(tries));
        env.set(c);
    }

    @Override
    public void markGood() throws IOException {
        env.set(Map.of(UPGRADE_AVAILABLE, "0", BOOTCOUNT, "0"));
    }

    @Override
    public void markBad(String slot) throws IOException {
        TrialState t = trialState();
        if (t.bootSlot().equals(slot)) {
            env.set(Map.of(BOOT_SLOT, BootControl.other(slot), UPGRADE_AVAILABLE, "0", BOOTCOUNT, "0"));
        }
    }

    @Override
    public void reboot() throws IOException {
        rebooter.reboot();
    }
}
