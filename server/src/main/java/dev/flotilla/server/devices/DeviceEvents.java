package dev.flotilla.server.devices;

import dev.flotilla.server.http.ListOrder;
import dev.flotilla.server.http.Page;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Device events, the history of what each device reported: stored once per (device, event id), so a device
 * may resend after a lost answer. A batch ({@link EventBatch}) is checked whole when it is read, before
 * anything is stored; each new event is stored in its own transaction together with what the
 * {@link EventListener} changes for it. Each event keeps two times: {@code occurredAt}, when the device
 * recorded it (by its own clock, normalised to UTC; null when it sent none), and {@code receivedAt}, when this
 * server stored it.
 */
public final class DeviceEvents {
    /** Event types a device may report. */
    public static final Set<String> TYPES = Set.of("download_started", "download_progress", "downloaded",
            "verified", "installed", "rebooting", "trial_boot", "committed", "rolled_back", "failed", "health_failed",
            "withdrawn");

    /**
     * The reasons of a {@code failed} event by which the agent says it refused an update before installing it
     * (docs/device-integration.md: the checks before a byte is written, and the image's length and hash): bad
     * or missing signatures, metadata refused, a replayed or foreign assignment, an unsigned target, a length or
     * hash that differs, another hardware, a version below the anti-rollback counter or the minimum installed.
     */
    public static final Set<String> REFUSAL_REASONS = Set.of("DIRECTOR_SIGNATURE", "NOT_FOR_THIS_DEVICE",
            "REPLAYED", "METADATA_REFUSED", "TARGET_NOT_SIGNED", "LENGTH_OR_HASH_MISMATCH", "MALFORMED",
            "HARDWARE_MISMATCH", "SECURITY_VERSION_TOO_LOW", "INSTALLED_VERSION_TOO_LOW", "LENGTH_MISMATCH",
            "HASH_MISMATCH");
    /** How many of a device's latest {@code failed} events {@link #refusals} looks through. */
    static final int REFUSALS_SCANNED = 200;

    /** How a batch went: newly stored and already known events. */
    public record Outcome(int accepted, int duplicates) {
    }

    private final Jdbi jdbi;
    private final Clock clock;
    private final EventListener listener;

    public DeviceEvents(Jdbi jdbi, Clock clock) {
        this(jdbi, clock, EventListener.NONE);
    }

    public DeviceEvents(Jdbi jdbi, Clock clock, EventListener listener) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * Stores a batch of the device's events (each new one in its own transaction; one already stored by its
     * event id is counted as a duplicate and changes nothing).
     */
    public Outcome record(String deviceId, EventBatch batch) {
        int accepted = 0;
        for (EventBatch.Reported r : batch.events()) {
            accepted += insert(new DeviceEvent(deviceId, r.eventId(), r.type(), r.occurredAt(), null, r.details()))
                    ? 1 : 0;
        }
        return new Outcome(accepted, batch.events().size() - accepted);
    }

    /** A device's events in the order the server received them: oldest first ({@code ASC}) or newest first. */
    public Page<DeviceEvent> list(String deviceId, Page.Request page, ListOrder order) {
        return Page.of(jdbi.withHandle(h -> h.createQuery("SELECT * FROM device_events WHERE device_id = :d ORDER BY seq "
                        + order.sql() + " LIMIT :limit OFFSET :offset")
                .bind("d", deviceId).bind("limit", page.limit() + 1).bind("offset", page.offset())
                .map(DeviceEvents::event).list()), page);
    }

    /**
     * The updates the device refused, newest first, at most {@code limit}: its {@code failed} events whose reason
     * is one of {@link #REFUSAL_REASONS}, among its latest {@link #REFUSALS_SCANNED} {@code failed} events.
     */
    public List<DeviceEvent> refusals(String deviceId, int limit) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT * FROM device_events WHERE device_id = :d AND event_type = 'failed'
                        ORDER BY seq DESC LIMIT :n""")
                .bind("d", deviceId).bind("n", REFUSALS_SCANNED).map(DeviceEvents::event).list()).stream()
                .filter(e -> e.details() != null && REFUSAL_REASONS.contains(e.details().path("reason").asText()))
                .limit(limit).toList();
    }

    private static DeviceEvent event(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws SQLException {
        return new DeviceEvent(rs.getString("device_id"), rs.getString("event_id"), rs.getString("event_type"),
                rs.getString("occurred_at"), Instant.ofEpochMilli(rs.getLong("received_at")).toString(),
                DeviceStore.parse(rs.getString("body_json")));
    }

    /**
     * Inserts the event and tells the listener, in one transaction; false (and nothing changed) when the event
     * id is already stored.
     */
    private boolean insert(DeviceEvent e) {
        try {
            jdbi.useTransaction(h -> {
                h.createUpdate("""
                                INSERT INTO device_events (device_id, event_id, event_type, occurred_at, received_at, body_json)
                                VALUES (:d, :id, :type, :at, :now, :body)""")
                        .bind("d", e.deviceId()).bind("id", e.eventId()).bind("type", e.type())
                        .bind("at", e.occurredAt()).bind("now", clock.millis()).bind("body", DeviceStore.json(e.details()))
                        .execute();
                listener.stored(h, e);
            });
            return true;
        } catch (UnableToExecuteStatementException ex) {
            if (ex.getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return false;
            }
            throw ex;
        }
    }
}
