package dev.flotilla.agent.slots;

import java.nio.file.Path;

/**
 * One of the two A/B slots: a block device or a file.
 *
 * @param name {@code "a"} or {@code "b"}, as the boot control names it
 * @param path the block device or file
 * @param capacity the most bytes an image may take (0: no limit other than the device)
 */
public record Slot(String name, Path path, long capacity) {
    public Slot {
        if (!name.equals("a") && !name.equals("b")) {
            throw new IllegalArgumentException("slot name must be a or b, not " + name);
        }
        if (capacity < 0) {
            throw new IllegalArgumentException("negative capacity");
        }
    }
}
