package dev.flotilla.core.director;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MaintenanceWindowTest {
    private static Instant at(String utc) {
        return Instant.parse(utc);
    }

    @Test
    void aDailyWindowOpensAtItsLocalTimeAndClosesAfterItsDuration() {
        MaintenanceWindow w = new MaintenanceWindow("0 2 * * *", 120, "Europe/Berlin");
        // 2026-01-15 02:00 CET = 01:00 UTC, closed again at 03:00 UTC
        assertThat(w.nextOpening(at("2026-01-14T12:00:00Z"))).isEqualTo(at("2026-01-15T01:00:00Z"));
        assertThat(w.isOpen(at("2026-01-15T00:59:59Z"))).isFalse();
        assertThat(w.isOpen(at("2026-01-15T01:00:00Z"))).isTrue();
        assertThat(w.isOpen(at("2026-01-15T02:59:59Z"))).isTrue();
        assertThat(w.isOpen(at("2026-01-15T03:00:00Z"))).isFalse();
        // an opening under way does not count as the next one
        assertThat(w.nextOpening(at("2026-01-15T01:00:01Z"))).isEqualTo(at("2026-01-16T01:00:00Z"));
        // summer time: 02:00 CEST = 00:00 UTC
        assertThat(w.nextOpening(at("2026-07-01T12:00:00Z"))).isEqualTo(at("2026-07-02T00:00:00Z"));
    }

    @Test
    void aWindowInsideTheSpringForwardGapOpensLaterByTheGapAndLastsItsFullDuration() {
        // Europe/Berlin, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist
        MaintenanceWindow w = new MaintenanceWindow("30 2 * * *", 60, "Europe/Berlin");
        Instant opening = w.nextOpening(at("2026-03-28T12:00:00Z"));
        assertThat(opening).isEqualTo(at("2026-03-29T01:30:00Z")); // 03:30 CEST
        assertThat(w.isOpen(at("2026-03-29T01:29:59Z"))).isFalse();
        assertThat(w.isOpen(at("2026-03-29T01:30:00Z"))).isTrue();
        assertThat(w.isOpen(at("2026-03-29T02:29:59Z"))).isTrue();
        assertThat(w.isOpen(at("2026-03-29T02:30:00Z"))).isFalse();
        // the next day is ordinary again: 02:30 CEST = 00:30 UTC
        assertThat(w.nextOpening(opening.plusSeconds(1))).isEqualTo(at("2026-03-30T00:30:00Z"));
        // the day before: 02:30 CET = 01:30 UTC
        assertThat(w.nextOpening(at("2026-03-27T12:00:00Z"))).isEqualTo(at("2026-03-28T01:30:00Z"));
    }

    @Test
    void aWindowAtTheStartOfTheGapOpensWhenTheGapEnds() {
        MaintenanceWindow w = new MaintenanceWindow("0 2 * * *", 120, "Europe/Berlin");
        assertThat(w.nextOpening(at("2026-03-28T12:00:00Z"))).isEqualTo(at("2026-03-29T01:00:00Z")); // 03:00 CEST
        assertThat(w.isOpen(at("2026-03-29T02:59:59Z"))).isTrue(); // 120 elapsed minutes, to 05:00 CEST
        assertThat(w.isOpen(at("2026-03-29T03:00:00Z"))).isFalse();
    }

    @Test
    void aWindowInTheRepeatedAutumnHourOpensOnceAtTheFirstOccurrence() {
        // Europe/Berlin, Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30 happens twice
        MaintenanceWindow w = new MaintenanceWindow("30 2 * * *", 30, "Europe/Berlin");
        assertThat(w.nextOpening(at("2026-10-24T12:00:00Z"))).isEqualTo(at("2026-10-25T00:30:00Z")); // 02:30 CEST
        assertThat(w.isOpen(at("2026-10-25T00:45:00Z"))).isTrue();
        assertThat(w.isOpen(at("2026-10-25T01:00:00Z"))).isFalse();
        // the second 02:30 (CET, 01:30 UTC) does not open it again
        assertThat(w.isOpen(at("2026-10-25T01:45:00Z"))).isFalse();
        assertThat(w.nextOpening(at("2026-10-25T00:30:01Z"))).isEqualTo(at("2026-10-26T01:30:00Z")); // 02:30 CET
    }

    @Test
    void theDurationIsElapsedTimeAcrossTheAutumnChange() {
        // 01:30 CEST + 120 minutes = 00:30 UTC ... 01:30 CET (02:30 UTC would be 03:30 CET by the wall clock)
        MaintenanceWindow w = new MaintenanceWindow("30 1 * * *", 120, "Europe/Berlin");
        assertThat(w.nextOpening(at("2026-10-24T12:00:00Z"))).isEqualTo(at("2026-10-24T23:30:00Z"));
        assertThat(w.isOpen(at("2026-10-25T01:29:59Z"))).isTrue();
        assertThat(w.isOpen(at("2026-10-25T01:30:00Z"))).isFalse();
    }

    @Test
    void listsRangesAndStepsSelectTheirTimes() {
        MaintenanceWindow w = new MaintenanceWindow("15,45 9-17/4 * * 1-5", 10, "UTC");
        // Thursday 2026-01-01
        assertThat(w.nextOpening(at("2026-01-01T00:00:00Z"))).isEqualTo(at("2026-01-01T09:15:00Z"));
        assertThat(w.nextOpening(at("2026-01-01T09:16:00Z"))).isEqualTo(at("2026-01-01T09:45:00Z"));
        assertThat(w.nextOpening(at("2026-01-01T09:46:00Z"))).isEqualTo(at("2026-01-01T13:15:00Z"));
        assertThat(w.nextOpening(at("2026-01-01T17:46:00Z"))).isEqualTo(at("2026-01-02T09:15:00Z"));
        // Friday evening -> Monday (Saturday and Sunday are not in 1-5)
        assertThat(w.nextOpening(at("2026-01-02T17:46:00Z"))).isEqualTo(at("2026-01-05T09:15:00Z"));
        // a/n runs from a to the field's maximum; 7 is Sunday like 0
        MaintenanceWindow sundays = new MaintenanceWindow("50/5 23 * * 7", 5, "UTC");
        assertThat(sundays.nextOpening(at("2026-01-01T00:00:00Z"))).isEqualTo(at("2026-01-04T23:50:00Z"));
        assertThat(sundays.nextOpening(at("2026-01-04T23:51:00Z"))).isEqualTo(at("2026-01-04T23:55:00Z"));
    }

    @Test
    void restrictedDayOfMonthAndDayOfWeekMatchEitherAsInVixieCron() {
        MaintenanceWindow w = new MaintenanceWindow("0 0 13 * 5", 60, "UTC");
        // Friday 2026-01-02 matches by weekday, Tuesday 2026-01-13 by day of month
        assertThat(w.nextOpening(at("2026-01-01T00:00:01Z"))).isEqualTo(at("2026-01-02T00:00:00Z"));
        assertThat(w.nextOpening(at("2026-01-12T00:00:01Z"))).isEqualTo(at("2026-01-13T00:00:00Z"));
        // with a '*' day of week only the day of month counts
        MaintenanceWindow monthly = new MaintenanceWindow("0 0 13 * *", 60, "UTC");
        assertThat(monthly.nextOpening(at("2026-01-01T00:00:01Z"))).isEqualTo(at("2026-01-13T00:00:00Z"));
        // 29 February: found years ahead
        MaintenanceWindow leap = new MaintenanceWindow("0 0 29 2 *", 60, "UTC");
        assertThat(leap.nextOpening(at("2026-03-01T00:00:00Z"))).isEqualTo(at("2028-02-29T00:00:00Z"));
    }

    @Test
    void invalidWindowsAreRefusedWithAMessageNamingTheField() {
        assertThatThrownBy(() -> new MaintenanceWindow("0 24 * * *", 60, "UTC"))
                .hasMessage("cron field 2 (hour) '24': 24 is outside 0-23");
        assertThatThrownBy(() -> new MaintenanceWindow("0 2 * *", 60, "UTC"))
                .hasMessageStartingWith("cron '0 2 * *' must have 5 fields");
        assertThatThrownBy(() -> new MaintenanceWindow("0 2 * * MON", 60, "UTC"))
                .hasMessageContaining("day-of-week").hasMessageContaining("'MON' is not a number");
        assertThatThrownBy(() -> new MaintenanceWindow("*/0 2 * * *", 60, "UTC"))
                .hasMessageContaining("the step must be at least 1");
        assertThatThrownBy(() -> new MaintenanceWindow("0 5-2 * * *", 60, "UTC"))
                .hasMessageContaining("the range's start is after its end");
        assertThatThrownBy(() -> new MaintenanceWindow("0 0 30,31 2 *", 60, "UTC"))
                .hasMessageContaining("never matches");
        assertThatThrownBy(() -> new MaintenanceWindow("0 2 * * *", 0, "UTC"))
                .hasMessageStartingWith("durationMinutes: must be 1 to 44640");
        assertThatThrownBy(() -> new MaintenanceWindow("0 2 * * *", 60, "Europe/Berln"))
                .hasMessageStartingWith("zone: unknown time zone 'Europe/Berln'");
        assertThatThrownBy(() -> new MaintenanceWindow("0 2 * * *", 60, "+02:00"))
                .hasMessageStartingWith("zone: unknown time zone '+02:00'");
    }

    @Test
    void readsAndWritesItsJsonAndRefusesUnknownOrMistypedFields() {
        ObjectNode json = new MaintenanceWindow("0 2 * * *", 120, "Europe/Berlin").toJson();
        assertThat(json.toString()).isEqualTo("{\"cron\":\"0 2 * * *\",\"durationMinutes\":120,\"zone\":\"Europe/Berlin\"}");
        assertThat(MaintenanceWindow.fromJson(json)).isEqualTo(new MaintenanceWindow("0 2 * * *", 120, "Europe/Berlin"));
        assertThatThrownBy(() -> MaintenanceWindow.fromJson(json.deepCopy().put("end", "04:00")))
                .hasMessageStartingWith("unknown field 'end'");
        assertThatThrownBy(() -> MaintenanceWindow.fromJson(json.deepCopy().put("durationMinutes", "120")))
                .hasMessage("durationMinutes: must be an integer");
        ObjectNode noCron = json.deepCopy();
        noCron.remove("cron");
        assertThatThrownBy(() -> MaintenanceWindow.fromJson(noCron)).hasMessageStartingWith("cron: must be a string");
        assertThatThrownBy(() -> MaintenanceWindow.fromJson(JsonNodeFactory.instance.textNode("0 2 * * *")))
                .hasMessageStartingWith("must be an object");
    }
}
