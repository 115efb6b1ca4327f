package dev.flotilla.core.director;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

class MaintenanceWindowPropertiesTest {
    /** 2026 and 2027, both DST changes of each year included. */
    private static final long START = Instant.parse("2026-01-01T00:00:00Z").getEpochSecond();
    private static final long SPAN = Duration.ofDays(730).toSeconds();

    @Property(tries = 200)
    void inUtcTheNextOpeningIsTheFirstMinuteTheCronNames(@ForAll("crons") String cron, @ForAll("instants") Instant t) {
        MaintenanceWindow w = new MaintenanceWindow(cron, 30, "UTC");
        Instant expected = t.truncatedTo(ChronoUnit.MINUTES);
        if (expected.isBefore(t)) {
            expected = expected.plusSeconds(60);
        }
        while (!matches(cron, expected)) { // brute force, minute by minute: the crons repeat within a week
            expected = expected.plusSeconds(60);
        }
        assertThat(w.nextOpening(t)).isEqualTo(expected);
    }

    @Property(tries = 200)
    void nothingOpensBetweenAClosedInstantAndTheNextOpening(@ForAll("crons") String cron,
            @ForAll("zones") String zone, @ForAll("instants") Instant t, @ForAll("durations") int minutes) {
        MaintenanceWindow w = new MaintenanceWindow(cron, minutes, zone);
        Instant next = w.nextOpening(t);
        assertThat(next).isAfterOrEqualTo(t);
        assertThat(w.isOpen(next)).isTrue();
        assertThat(w.isOpen(next.plus(Duration.ofMinutes(minutes)).minusNanos(1))).isTrue();
        if (!w.isOpen(t) && next.isAfter(t)) {
            assertThat(w.isOpen(next.minusNanos(1))).isFalse();
            assertThat(w.isOpen(t.plus(Duration.between(t, next).dividedBy(2)))).isFalse();
        }
    }

    /** Whether the UTC minute {@code t} matches {@code cron} (day fields here never both restricted). */
    private static boolean matches(String cron, Instant t) {
        ZonedDateTime z = t.atZone(ZoneOffset.UTC);
        String[] f = cron.split(" ");
        return in(f[0], z.getMinute(), 0, 59) && in(f[1], z.getHour(), 0, 23)
                && in(f[4], z.getDayOfWeek().getValue() % 7, 0, 6);
    }

    private static boolean in(String field, int v, int min, int max) {
        for (String part : field.split(",")) {
            String[] rs = part.split("/");
            int step = rs.length == 2 ? Integer.parseInt(rs[1]) : 1;
            int from = min;
            int to = max;
            if (!rs[0].equals("*")) {
                String[] ends = rs[0].split("-");
                from = Integer.parseInt(ends[0]);
                to = ends.length == 2 ? Integer.parseInt(ends[1]) : rs.length == 2 ? max : from;
            }
            if (v >= from && v <= to && (v - from) % step == 0) {
                return true;
            }
        }
        return false;
    }

    @Provide
    Arbitrary<String> crons() {
        Arbitrary<String> minute = field(0, 59);
        Arbitrary<String> hour = field(0, 23);
        Arbitrary<String> dow = Arbitraries.oneOf(Arbitraries.just("*"), field(0, 6));
        return Combinators.combine(minute, hour, dow).as((m, h, d) -> m + " " + h + " * * " + d);
    }

    private static Arbitrary<String> field(int min, int max) {
        Arbitrary<Integer> v = Arbitraries.integers().between(min, max);
        Arbitrary<String> single = v.map(String::valueOf);
        Arbitrary<String> range = Combinators.combine(v, v).as((a, b) -> Math.min(a, b) + "-" + Math.max(a, b));
        Arbitrary<String> step = Combinators.combine(Arbitraries.oneOf(Arbitraries.just("*"), range),
                Arbitraries.integers().between(1, 12)).as((r, s) -> r + "/" + s);
        Arbitrary<String> part = Arbitraries.oneOf(single, range, step);
        return Arbitraries.oneOf(Arbitraries.just("*"), part.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(",", l)));
    }

    @Provide
    Arbitrary<String> zones() {
        return Arbitraries.of("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
                "America/Santiago");
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.longs().between(0, SPAN).map(s -> Instant.ofEpochSecond(START + s));
    }

    @Provide
    Arbitrary<Integer> durations() {
        return Arbitraries.integers().between(1, 3 * 24 * 60);
    }
}
