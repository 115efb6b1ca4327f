package dev.flotilla.core.tuf.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A clock for expiry checks on a device that never moves backwards: it answers the later of the local clock
 * and the latest time it has answered before, kept in a file (fsync, atomic rename). A board whose real-time
 * clock resets to 1970 after a power cut therefore cannot be made to accept metadata that had already
 * expired by the time the device last looked (freeze attack), while a correct clock is used as it is.
 *
 * <p>The floor is written only when it moves forward by at least {@code persistEvery} (default one minute),
 * so the file is not rewritten on every call; a damaged file counts as no floor (it is rewritten on the
 * next call).
 */
public final class TrustedClock extends Clock {
    private final Clock local;
    private final Path floorFile;
    private final java.time.Duration persistEvery;
    private final ReentrantLock lock = new ReentrantLock();
    private Instant floor;
    private Instant persisted;

    public TrustedClock(Clock local, Path floorFile) {
        this(local, floorFile, java.time.Duration.ofMinutes(1));
    }

    public TrustedClock(Clock local, Path floorFile, java.time.Duration persistEvery) {
        this.local = local;
        this.floorFile = floorFile;
        this.persistEvery = persistEvery;
        this.floor = read(floorFile);
        this.persisted = floor;
    }

    private static Instant read(Path file) {
        try {
            return Files.exists(file) ? Instant.parse(Files.readString(file, StandardCharsets.UTF_8).strip()) : Instant.EPOCH;
        } catch (IOException | DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    /**
     * The later of the local clock and the floor; moves the floor and writes it when due. Callers are serialised
     * by a lock rather than {@code synchronized}, so a virtual thread waiting on the file write does not pin its
     * carrier on Java 21.
     */
    @Override
    public Instant instant() {
        lock.lock();
        try {
            Instant now = local.instant();
            if (now.isAfter(floor)) {
                floor = now;
            }
            if (floor.isAfter(persisted.plus(persistEvery)) || persisted.equals(Instant.EPOCH)) {
                persist();
            }
            return floor;
        } finally {
            lock.unlock();
        }
    }

    private void persist() {
        try {
            AtomicFiles.write(floorFile, floor.toString().getBytes(StandardCharsets.UTF_8));
            persisted = floor;
        } catch (UncheckedIOException e) {
            // keep answering from memory; the next call tries again
        }
    }

    @Override
    public ZoneId getZone() {
        return local.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a trusted clock is UTC-only");
    }
}
