package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Limits;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The events a device reports at once, as {@link DeviceEvents#record} stores them:
 * {@code {"events": [{"eventId", "type", "occurredAt"?, "details"?}]}}, 1 to 100 events, each checked.
 *
 * @param events in the order sent
 */
public record EventBatch(List<Reported> events) {
    /** The most events one batch may carry. */
    static final int MAX_EVENTS = 100;

    /**
     * One event as the device reported it.
     *
     * @param eventId    the device's own id for it (at most {@link Limits#EVENT_ID} characters)
     * @param type       one of {@link DeviceEvents#TYPES}
     * @param occurredAt when the device recorded it, as an instant in UTC ({@code Instant.toString()}); null when
     *                   it sent none
     * @param details    an object (empty when absent), at most {@link Limits#JSON_TEXT} characters as stored
     */
    public record Reported(String eventId, String type, String occurredAt, ObjectNode details) {
    }

    public EventBatch {
        events = List.copyOf(events);
    }

    /**
     * Reads and checks a batch; touches no database. {@code occurredAt} is an ISO-8601 date-time with an
     * offset ({@code 2026-12-02T16:03:56.120Z}, {@code ...+01:00}) and is kept as that instant in UTC.
     *
     * @throws DomainError.Invalid {@code invalid_request} when the batch or any event in it is invalid, naming
     *                             the field
     */
    public static EventBatch parse(JsonNode json) {
        JsonNode events = JsonFields.of(json, "request body").required("events");
        if (!events.isArray() || events.isEmpty() || events.size() > MAX_EVENTS) {
            throw JsonFields.invalid("events must be an array of 1 to " + MAX_EVENTS + " events");
        }
        List<Reported> valid = new ArrayList<>();
        for (JsonNode e : events) {
            JsonFields ev = JsonFields.of(e, "event");
            String type = ev.string("type");
            if (!DeviceEvents.TYPES.contains(type)) {
                throw JsonFields.invalid("unknown event type '" + type + "'");
            }
            String eventId = ev.string("eventId", Limits.EVENT_ID);
            ObjectNode details = ev.optObject("details").orElse(JsonNodeFactory.instance.objectNode());
            JsonFields.text("details", DeviceStore.json(details), Limits.JSON_TEXT);
            String occurredAt = ev.optString("occurredAt").map(EventBatch::instant).orElse(null);
            valid.add(new Reported(eventId, type, occurredAt, details));
        }
        return new EventBatch(valid);
    }

    /** {@code raw} as an instant in UTC ({@link java.time.Instant#toString()}). */
    private static String instant(String raw) {
        JsonFields.text("occurredAt", raw, Limits.TIME); // an ISO-8601 date-time is about 30 characters
        try {
            return OffsetDateTime.parse(raw).toInstant().toString();
        } catch (DateTimeParseException e) {
            throw JsonFields.invalid("occurredAt must be an ISO-8601 date-time with an offset, e.g. "
                    + "2026-12-02T16:03:56Z");
        }
    }
}
