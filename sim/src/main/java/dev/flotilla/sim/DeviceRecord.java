package dev.flotilla.sim;

import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.update.AgentListener;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.UpdateState;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * What the simulator saw one board do, from the outside: each boot (which image ran, and whether its bytes
 * were a signed target), each failed boot, and the agent's states over time for the timeline. Nothing here
 * comes from what the agent reports to the server.
 */
final class DeviceRecord implements SimulatedDevice.Observer, AgentListener {
    /** A state of the board for the timeline. */
    enum Phase { BASELINE, UPDATING, UPDATED, ROLLED_BACK }

    /** One change of phase, at {@code millis} since the simulation started. */
    record Change(long millis, Phase phase) {
    }

    private final String name;
    private final Path dir;
    private final SignedTargets signed;
    private final LongSupplier millis;
    private final List<Change> changes = new ArrayList<>();
    private final Set<String> tried = new HashSet<>();
    private int unverifiedBoots;
    private String running;

    DeviceRecord(String name, Path dir, SignedTargets signed, LongSupplier millis) {
        this.name = name;
        this.dir = dir;
        this.signed = signed;
        this.millis = millis;
    }

    @Override
    public void booted(String slot, Path slotFile, TestImage.Header image) {
        boolean verified; // the slot is hashed outside the monitor: a virtual thread must not block holding it
        try {
            verified = signed.match(slotFile, image.length()).equals(Optional.of(image.version()));
        } catch (IOException e) {
            verified = false;
        }
        synchronized (this) {
            running = image.version();
            tried.add(image.version());
            if (!verified) {
                unverifiedBoots++;
            }
            if (changes.isEmpty()) {
                phase(Phase.BASELINE);
            }
        }
    }

    @Override
    public void bootFailed(String slot, Path slotFile, String why) {
        Optional<TestImage.Header> image;
        try {
            image = TestImage.read(slotFile);
        } catch (IOException e) {
            image = Optional.empty(); // unreadable slot: the boot did not run the release
        }
        synchronized (this) {
            image.ifPresent(h -> tried.add(h.version()));
        }
    }

    @Override
    public synchronized void transition(UpdateState from, UpdateState to, ReasonCode reason, String detail) {
        switch (to) {
            case UpdateState.Downloading d -> phase(Phase.UPDATING);
            case UpdateState.Committed c -> phase(Phase.UPDATED);
            case UpdateState.RolledBack r -> phase(Phase.ROLLED_BACK);
            case UpdateState.Failed f -> phase(Phase.BASELINE);
            case UpdateState.Withdrawn w -> phase(Phase.BASELINE);
            default -> {
            }
        }
    }

    private void phase(Phase p) {
        if (changes.isEmpty() || changes.getLast().phase() != p) {
            changes.add(new Change(millis.getAsLong(), p));
        }
    }

    String name() {
        return name;
    }

    Path dir() {
        return dir;
    }

    synchronized int unverifiedBoots() {
        return unverifiedBoots;
    }

    /** Whether the board ever tried to boot {@code version} (a crash on boot counts). */
    synchronized boolean tried(String version) {
        return tried.contains(version);
    }

    /** The version of the image the board runs now (null before its first boot). */
    synchronized String running() {
        return running;
    }

    /** Whether the board is between starting a download and the update's end (commit, rollback, failure). */
    synchronized boolean updating() {
        return !changes.isEmpty() && changes.getLast().phase() == Phase.UPDATING;
    }

    synchronized List<Change> changes() {
        return List.copyOf(changes);
    }
}
