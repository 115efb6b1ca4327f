package dev.flotilla.core.director;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.BitSet;
import java.util.Iterator;
import java.util.Set;

/**
 * A recurring maintenance window: it opens at each local time in {@code zone} that the five-field
 * {@code cron} names (minute hour day-of-month month day-of-week, see docs/device-integration.md) and stays
 * open for {@code durationMinutes} of elapsed time. JSON: {@code {"cron": "0 2 * * *", "durationMinutes":
 * 120, "zone": "Europe/Berlin"}}.
 *
 * <p>Daylight-saving changes. A local opening time that does not exist (inside the spring-forward gap, e.g.
 * 02:30 in Europe/Berlin on the last Sunday of March) opens the window later by the length of the gap
 * (03:30 local time), as {@link ZonedDateTime#of} does. A local opening time that exists twice (inside the
 * autumn overlap) opens the window once, at its first occurrence (the earlier offset). The duration is
 * always elapsed time, so a 120-minute window lasts 120 minutes even across a change.
 *
 * @param cron            the opening times
 * @param durationMinutes how long each opening lasts, 1 to {@link #MAX_DURATION_MINUTES}
 * @param zone            an IANA time zone name such as {@code Europe/Berlin}, or {@code UTC}
 */
public record MaintenanceWindow(String cron, int durationMinutes, String zone) {
    /** The longest window: 31 days. */
    public static final int MAX_DURATION_MINUTES = 31 * 24 * 60;
    /** How far {@link #nextOpening} looks: a valid cron matches at least once in eight years (29 February). */
    private static final int SEARCH_DAYS = 8 * 366 + 2;
    private static final Set<String> FIELDS = Set.of("cron", "durationMinutes", "zone");

    /**
     * Validates the window.
     *
     * @throws IllegalArgumentException with a message naming the field ({@code cron}, {@code durationMinutes},
     *                                  {@code zone}) and what is wrong
     */
    public MaintenanceWindow {
        if (cron == null) {
            throw new IllegalArgumentException("cron: missing");
        }
        CronSchedule.parse(cron);
        if (durationMinutes < 1 || durationMinutes > MAX_DURATION_MINUTES) {
            throw new IllegalArgumentException("durationMinutes: must be 1 to " + MAX_DURATION_MINUTES + " (31 days), not "
                    + durationMinutes);
        }
        zoneId(zone);
    }

    /**
     * Reads {@code {"cron", "durationMinutes", "zone"}}; any other field is refused.
     *
     * @throws IllegalArgumentException naming the field that is missing, mistyped, unknown or invalid
     */
    public static MaintenanceWindow fromJson(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("must be an object {\"cron\", \"durationMinutes\", \"zone\"}");
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "' (a window has cron, durationMinutes, zone)");
            }
        }
        JsonNode cron = o.get("cron");
        JsonNode duration = o.get("durationMinutes");
        JsonNode zone = o.get("zone");
        if (cron == null || !cron.isTextual()) {
            throw new IllegalArgumentException("cron: must be a string such as \"0 2 * * *\"");
        }
        if (duration == null || !duration.isIntegralNumber() || !duration.canConvertToInt()) {
            throw new IllegalArgumentException("durationMinutes: must be an integer");
        }
        if (zone == null || !zone.isTextual()) {
            throw new IllegalArgumentException("zone: must be a string such as \"Europe/Berlin\"");
        }
        return new MaintenanceWindow(cron.textValue(), duration.intValue(), zone.textValue());
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("cron", cron);
        o.put("durationMinutes", durationMinutes);
        o.put("zone", zone);
        return o;
    }

    /** Whether the window is open at {@code t}: some opening at or before {@code t} lasts past it. */
    public boolean isOpen(Instant t) {
        Instant firstThatCouldCover = t.minus(Duration.ofMinutes(durationMinutes)).plusNanos(1);
        return !nextOpening(firstThatCouldCover).isAfter(t);
    }

    /** The first opening at or after {@code from} (an opening already under way at {@code from} does not count). */
    public Instant nextOpening(Instant from) {
        CronSchedule schedule = CronSchedule.parse(cron);
        ZoneId z = zoneId(zone);
        // start a day early: a DST shift can move a previous day's local time to or past `from`
        LocalDate day = from.atZone(z).toLocalDate().minusDays(1);
        Instant best = null;
        for (int i = 0; i < SEARCH_DAYS; i++, day = day.plusDays(1)) {
            if (best != null && day.atStartOfDay(z).toInstant().isAfter(best)) {
                return best; // later days open later still
            }
            if (schedule.matchesDay(day)) {
                Instant o = firstOpeningOn(schedule, z, day, from);
                if (o != null && (best == null || o.isBefore(best))) {
                    best = o;
                }
            }
        }
        if (best != null) {
            return best;
        }
        throw new IllegalStateException("cron '" + cron + "' has no opening in eight years"); // parse() refuses those
    }

    /** The earliest opening on {@code day} at or after {@code from}, or null. */
    private static Instant firstOpeningOn(CronSchedule schedule, ZoneId z, LocalDate day, Instant from) {
        Instant best = null;
        BitSet hours = schedule.hours();
        BitSet minutes = schedule.minutes();
        for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
            for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
                // gap: later by the gap's length; overlap: the earlier offset (ZonedDateTime.of's rules)
                Instant o = ZonedDateTime.of(LocalDateTime.of(day, java.time.LocalTime.of(h, m)), z).toInstant();
                if (!o.isBefore(from) && (best == null || o.isBefore(best))) {
                    best = o;
                }
            }
        }
        return best;
    }

    private static ZoneId zoneId(String zone) {
        if (zone == null || zone.isEmpty()) {
            throw new IllegalArgumentException("zone: missing (an IANA time zone such as Europe/Berlin, or UTC)");
        }
        if (!ZoneId.getAvailableZoneIds().contains(zone)) {
            throw new IllegalArgumentException("zone: unknown time zone '" + zone
                    + "' (an IANA time zone such as Europe/Berlin, or UTC)");
        }
        return ZoneId.of(zone);
    }
}
