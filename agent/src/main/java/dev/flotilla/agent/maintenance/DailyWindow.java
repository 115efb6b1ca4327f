package dev.flotilla.agent.maintenance;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;

/**
 * A daily window {@code "HH:MM-HH:MM"} in local time; start inclusive, end exclusive. A window whose end is
 * before its start crosses midnight ({@code "22:00-02:00"}); equal start and end means all day.
 */
public record DailyWindow(LocalTime start, LocalTime end) {

    public static DailyWindow parse(String text) {
        String[] parts = text.split("-");
        if (parts.length != 2) {
            throw new IllegalArgumentException("window must look like \"HH:MM-HH:MM\", not '" + text + "'");
        }
        try {
            return new DailyWindow(time(parts[0]), time(parts[1]));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("window must look like \"HH:MM-HH:MM\", not '" + text + "'", e);
        }
    }

    private static LocalTime time(String s) {
        if (!s.trim().matches("\\d{2}:\\d{2}")) {
            throw new DateTimeParseException("not HH:MM", s, 0);
        }
        return LocalTime.parse(s.trim());
    }

    /** Whether {@code t} is inside the window. */
    public boolean contains(LocalTime t) {
        if (start.equals(end)) {
            return true;
        }
        if (start.isBefore(end)) {
            return !t.isBefore(start) && t.isBefore(end);
        }
        return !t.isBefore(start) || t.isBefore(end);
    }
}
