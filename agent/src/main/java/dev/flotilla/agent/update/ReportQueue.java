package dev.flotilla.agent.update;

import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.update.Reporter.Delivery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Events waiting for the server's acknowledgement: one file per event ({@code <seq>.json}, written
 * atomically through the storage seam) in a directory, sent in sequence order and deleted only once
 * acknowledged or rejected for good. An event is stamped with the time it is stored
 * ({@link Event#occurredAt}), which the server keeps beside the time it received it. Enqueueing the same
 * sequence number again replaces the file (a transition redone after a power cut keeps its event id).
 *
 * <p>What the server's answer does (docs/decisions/0001-report-queue-rejections.md): acknowledged events
 * are removed; a permanent rejection removes the event, counts it durably ({@link #dropped()}) and tells
 * the listener, and sending goes on with the next event; anything else (unreachable, 408, 429, 5xx,
 * authentication) stops this flush with the event kept at the head, and the next flushes are skipped
 * until an exponential backoff ({@link Retry}) has passed; {@link #deliverAll}, before the agent acts on
 * a check-in answer, tries anyway.
 */
public final class ReportQueue {
    /** The backoff after a deferred event: {@code min}, doubling up to {@code max}; reset by a delivery. */
    public record Retry(Duration min, Duration max) {
        public static final Retry DEFAULT = new Retry(Duration.ofSeconds(1), Duration.ofMinutes(5));
    }

    /**
     * What one {@link #flush} did.
     *
     * @param acknowledged events the server stored, now removed
     * @param dropped events the server rejected for good, now removed
     * @param deferred whether events are left because the server did not take one (or the backoff runs)
     */
    public record Flushed(int acknowledged, int dropped, boolean deferred) {
    }

    private static final String DROPPED = "dropped";
    private final Path dir;
    private final Durable durable;
    private final AgentListener listener;
    private final Retry retry;
    private final LongSupplier nanoTime;
    private final Clock clock;
    private long retryAt;
    private long delayMillis;

    /** A queue with the default backoff and no listener. */
    public ReportQueue(Path dir, Durable durable) throws IOException {
        this(dir, durable, AgentListener.NONE, Retry.DEFAULT, System::nanoTime);
    }

    /** A queue that stamps events from the system clock. */
    public ReportQueue(Path dir, Durable durable, AgentListener listener, Retry retry, LongSupplier nanoTime)
            throws IOException {
        this(dir, durable, listener, retry, nanoTime, Clock.systemUTC());
    }

    /** A queue whose events are stamped from {@code clock}. */
    public ReportQueue(Path dir, Durable durable, AgentListener listener, Retry retry, LongSupplier nanoTime,
            Clock clock) throws IOException {
        this.clock = clock;
        this.dir = Files.createDirectories(dir);
        this.durable = durable;
        this.listener = listener;
        this.retry = retry;
        this.nanoTime = nanoTime;
        this.retryAt = nanoTime.getAsLong();
    }

    /** Stores {@code event} durably, stamped with the time now unless it carries one. */
    public void enqueue(Event event) throws IOException {
        Event stamped = event.occurredAt() == null ? event.at(clock.instant()) : event;
        durable.replace(file(event.seq()), StateJson.write(stamped));
    }

    /** The queued events, oldest first. */
    public List<Event> pending() throws IOException {
        List<Event> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList()) {
                events.add(StateJson.readEvent(f, Files.readAllBytes(f)));
            }
        }
        return events;
    }

    /** How many events the server rejected for good and this queue dropped, over the device's life. */
    public long dropped() throws IOException {
        Path f = dir.resolve(DROPPED);
        if (!Files.exists(f)) {
            return 0;
        }
        try {
            return Long.parseLong(Files.readString(f, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException corrupt) {
            return 0;
        }
    }

    /**
     * Sends queued events in order until one is deferred or the queue is empty; does nothing while the
     * backoff after a deferral runs.
     */
    public Flushed flush(Reporter reporter) throws IOException {
        if (nanoTime.getAsLong() - retryAt < 0) {
            return new Flushed(0, 0, true);
        }
        int sent = 0;
        int dropped = 0;
        for (Event e : pending()) {
            Delivery d;
            try {
                d = reporter.send(e);
            } catch (IOException unreachable) {
                d = new Delivery.Deferred(unreachable.getMessage());
            }
            switch (d) {
                case Delivery.Acknowledged a -> sent++;
                case Delivery.Rejected r -> {
                    long total = dropped() + 1;
                    durable.replace(dir.resolve(DROPPED), Long.toString(total).getBytes(StandardCharsets.US_ASCII));
                    listener.reportDropped(e, r, total);
                    dropped++;
                }
                case Delivery.Deferred later -> {
                    backOff();
                    return new Flushed(sent, dropped, true);
                }
            }
            durable.delete(file(e.seq()));
            delayMillis = 0;
        }
        return new Flushed(sent, dropped, false);
    }

    /**
     * Tries to deliver every queued event now, even while the backoff after a deferral runs (it is called
     * once per run of the machine, before it acts on a check-in answer, so at the agent's poll pace); a
     * deferral starts or lengthens the backoff as in {@link #flush}.
     *
     * @return whether no event is left
     */
    public boolean deliverAll(Reporter reporter) throws IOException {
        if (pending().isEmpty()) {
            return true;
        }
        retryAt = nanoTime.getAsLong();
        return !flush(reporter).deferred();
    }

    private void backOff() {
        delayMillis = delayMillis == 0 ? retry.min().toMillis() : Math.min(delayMillis * 2, retry.max().toMillis());
        retryAt = nanoTime.getAsLong() + delayMillis * 1_000_000;
    }

    private Path file(long seq) {
        return dir.resolve(String.format("%020d.json", seq));
    }
}
