package dev.flotilla.agent.counter;

import dev.flotilla.agent.storage.Durable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The anti-rollback counter: the highest {@code securityVersion} the device has committed.
 *
 * <p>Invariant: the stored value never goes down. {@link #raiseTo} refuses a lower value; the file is
 * replaced atomically through the storage seam, so after a power cut it holds the old or the new value.
 * A missing file reads as 0 (a new device); a damaged file is an error, never 0.
 */
public final class AntiRollbackCounter {
    private final Path file;
    private final Durable durable;

    public AntiRollbackCounter(Path file, Durable durable) {
        this.file = file;
        this.durable = durable;
    }

    /** The stored value (0 when never raised). */
    public long current() throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        try {
            long v = Long.parseLong(text);
            if (v < 0) {
                throw new NumberFormatException("negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IOException("anti-rollback counter " + file + " is damaged: '" + text + "'", e);
        }
    }

    /**
     * Raises the counter to {@code value}; does nothing when it already holds {@code value}.
     *
     * @throws CounterRollbackException when {@code value} is lower than the stored value
     */
    public void raiseTo(long value) throws IOException {
        long now = current();
        if (value < now) {
            throw new CounterRollbackException(now, value);
        }
        if (value > now) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            durable.replace(file, (value + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** A write that would lower the counter. */
    public static final class CounterRollbackException extends IOException {
        private final long stored;
        private final long requested;

        public CounterRollbackException(long stored, long requested) {
            super("anti-rollback counter is " + stored + "; refusing to lower it to " + requested);
            this.stored = stored;
            this.requested = requested;
        }

        public long stored() {
            return stored;
        }

        public long requested() {
            return requested;
        }
    }
}
