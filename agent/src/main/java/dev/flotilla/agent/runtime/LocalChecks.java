package dev.flotilla.agent.runtime;

import dev.flotilla.agent.boot.BootControl;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What the agent checks on this device before it starts its loop: the slots exist, the kernel command line
 * names the running slot, the boot environment can be read. A failure here is a configuration error (one
 * line naming the configuration key, the file and the tool's complaint), never a network one: an agent
 * that cannot do its work must say so and exit rather than loop.
 */
final class LocalChecks {
    private LocalChecks() {
    }

    /** Both slots exist: the agent writes into a block device or an existing file, it never creates a slot. */
    static void slots(AgentConfig.SlotsConfig slots) {
        slot("slots.a", slots.a());
        slot("slots.b", slots.b());
    }

    private static void slot(String key, Path path) {
        if (!Files.exists(path)) {
            throw new ConfigException(key + " " + path + ": does not exist (a slot is a block device or an "
                    + "existing file; the agent does not create it)");
        }
        if (Files.isDirectory(path)) {
            throw new ConfigException(key + " " + path + ": is a directory, not a block device or file");
        }
    }

    /** The running slot and the boot environment can be read through {@code boot}. */
    static void bootEnvironment(BootControl boot, AgentConfig.BootConfig config) {
        try {
            boot.activeSlot();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("bootControl.cmdline " + config.cmdline() + ": " + describe(e));
        }
        try {
            boot.trialState();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(envKey(config) + ": cannot read the boot environment: " + describe(e));
        }
    }

    private static String envKey(AgentConfig.BootConfig c) {
        return switch (c.backend()) {
            case UBOOT -> "bootControl.fwEnvConfig " + c.fwEnvConfig();
            case GRUB -> "bootControl.grubenv " + c.grubenv();
            case SIMULATED -> "bootControl.stateFile " + c.stateFile();
        };
    }

    private static String describe(Exception e) {
        return e instanceof NoSuchFileException n ? n.getFile() + ": no such file" : e.getMessage();
    }
}
