package dev.flotilla.server.devices;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.function.LongConsumer;

/**
 * Deletes device events received longer ago than the retention, in batches, each batch its own short
 * transaction, so no statement holds many rows locked or runs for long. Only device events are deleted; the
 * audit log is append-only and never is. Rollouts do not read events: a device event moves the device's row
 * in its rollout when it is stored, and the gates and the funnel count those rows, so deleting an event
 * changes no rollout.
 *
 * <p>With several servers on one database, one at a time runs a pass: it holds the lease row
 * ({@code event_retention_lease}) for {@link #LEASE} and renews it after each batch; a server that finds the
 * lease held skips its pass. A server that dies mid-pass keeps the batches it committed (the one in flight
 * rolls back), the rest waits for a later pass, and its lease expires. The lease compares the servers'
 * clocks, so they should be kept in sync (as for any lease).
 *
 * <p>An event is de-duplicated by its id only while it is kept: a device that resends an event after its
 * stored copy was deleted has it stored and told to the {@link EventListener} again. The agent resends an
 * unacknowledged event at its next poll, so that takes a device out of contact for longer than the retention.
 */
public final class EventRetention {
    /** The retention when none is configured. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(90);
    /** The longest retention accepted, in days (ten years). */
    public static final long MAX_DAYS = 3650;
    /** Events deleted per batch (one transaction) by the server's job. */
    public static final int BATCH = 5_000;
    /** Batches per pass at most: a backlog (e.g. after an upgrade) is worked off over several passes. */
    public static final int MAX_BATCHES = 200;
    /** How long a pass holds the lease without renewing it. */
    static final Duration LEASE = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(EventRetention.class);

    /** One pass: whether this server held the lease, how many events it deleted, in how many batches. */
    public record Pass(boolean ran, long deleted, int batches) {
    }

    private final Jdbi jdbi;
    private final Clock clock;
    private final Duration retention;
    private final int batchSize;
    private final int maxBatches;
    private final LongConsumer deleted;
    private final String deleteSql;
    private final String holder = UUID.randomUUID().toString();

    /**
     * @param postgres   whether the database is PostgreSQL (else H2): the batch statement differs
     * @param retention  how long an event is kept after the server received it
     * @param batchSize  events deleted per transaction
     * @param maxBatches batches per pass at most
     * @param deleted    told the number of events each batch deleted (the metric)
     */
    public EventRetention(Jdbi jdbi, boolean postgres, Clock clock, Duration retention, int batchSize, int maxBatches,
                          LongConsumer deleted) {
        if (batchSize < 1 || maxBatches < 1) {
            throw new IllegalArgumentException("batch size and batches per pass must be at least 1");
        }
        this.jdbi = Objects.requireNonNull(jdbi, "jdbi");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retention = requireValid(retention);
        this.batchSize = batchSize;
        this.maxBatches = maxBatches;
        this.deleted = Objects.requireNonNull(deleted, "deleted");
        // PostgreSQL has no DELETE ... LIMIT: the batch's row ids (ctid) are selected, then deleted by row id.
        this.deleteSql = postgres
                ? "DELETE FROM device_events WHERE ctid = ANY (ARRAY(SELECT ctid FROM device_events"
                        + " WHERE received_at < :cutoff LIMIT :n))"
                : "DELETE FROM device_events WHERE received_at < :cutoff FETCH FIRST :n ROWS ONLY";
    }

    /**
     * {@code retention} if it is a whole number of days from 1 to {@link #MAX_DAYS}.
     *
     * @throws IllegalArgumentException (a one-line message naming the accepted range) otherwise
     */
    public static Duration requireValid(Duration retention) {
        Objects.requireNonNull(retention, "retention");
        long days = retention.toDays();
        if (!retention.equals(Duration.ofDays(days))) {
            throw refused(retention.toString());
        }
        return ofDays(days);
    }

    /**
     * A retention of {@code days} days, from 1 to {@link #MAX_DAYS}.
     *
     * @throws IllegalArgumentException (a one-line message naming the accepted range) otherwise
     */
    public static Duration ofDays(long days) {
        if (days < 1 || days > MAX_DAYS) {
            throw refused(String.valueOf(days));
        }
        return Duration.ofDays(days);
    }

    private static IllegalArgumentException refused(String got) {
        return new IllegalArgumentException("the events retention must be from 1 to " + MAX_DAYS
                + " days (ten years), got " + got);
    }

    /** The configured retention. */
    public Duration retention() {
        return retention;
    }

    /**
     * Deletes, batch by batch, the events received before now minus the retention, until none is left or
     * {@code maxBatches} batches ran; does nothing when another server holds the lease.
     */
    public Pass run() {
        if (!lease(clock.millis())) {
            return new Pass(false, 0, 0);
        }
        long total = 0;
        int batches = 0;
        try {
            long cutoff = clock.millis() - retention.toMillis();
            while (batches < maxBatches) {
                int n = jdbi.withHandle(h -> h.createUpdate(deleteSql).bind("cutoff", cutoff).bind("n", batchSize)
                        .execute());
                if (n > 0) {
                    batches++;
                    total += n;
                    deleted.accept(n);
                }
                if (n < batchSize || !lease(clock.millis())) {
                    break;
                }
            }
        } finally {
            release();
        }
        return new Pass(true, total, batches);
    }

    /** {@link #run()}, logging a failure instead of throwing it (for the scheduler: the next pass retries). */
    public void runQuietly() {
        try {
            Pass p = run();
            if (p.deleted() > 0) {
                LOG.info("deleted {} device events older than {} days", p.deleted(), retention.toDays());
            }
        } catch (RuntimeException e) {
            LOG.warn("deleting old device events failed; will retry", e);
        }
    }

    /** Takes or renews the lease; false when another server holds it. */
    private boolean lease(long now) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        UPDATE event_retention_lease SET holder = :me, lease_until = :until
                        WHERE id = 1 AND (lease_until <= :now OR holder = :me)""")
                .bind("me", holder).bind("until", now + LEASE.toMillis()).bind("now", now).execute()) == 1;
    }

    private void release() {
        jdbi.useHandle(h -> h.createUpdate("""
                        UPDATE event_retention_lease SET holder = NULL, lease_until = 0
                        WHERE id = 1 AND holder = :me""")
                .bind("me", holder).execute());
    }
}
