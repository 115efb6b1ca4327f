package dev.flotilla.core.director;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.BitSet;
import java.util.Locale;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}), numbers only: each
 * field is {@code *} or a comma-separated list of values, ranges {@code a-b} and steps ({@code *}{@code /n},
 * {@code a-b/n}, {@code a/n} meaning {@code a-max/n}). Day-of-week is 0-7 with 0 and 7 both Sunday. As in
 * Vixie cron, when both day fields are restricted (neither starts with {@code *}) a day matches when either
 * matches; otherwise both must.
 */
final class CronSchedule {
    private static final String[] NAMES = {"minute", "hour", "day-of-month", "month", "day-of-week"};
    private static final int[] MIN = {0, 0, 1, 1, 0};
    private static final int[] MAX = {59, 23, 31, 12, 7};

    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean dayOfMonthRestricted;
    private final boolean dayOfWeekRestricted;

    private CronSchedule(BitSet[] fields, boolean domRestricted, boolean dowRestricted) {
        this.minutes = fields[0];
        this.hours = fields[1];
        this.daysOfMonth = fields[2];
        this.months = fields[3];
        this.daysOfWeek = fields[4];
        if (daysOfWeek.get(7)) {
            daysOfWeek.set(0); // 7 is Sunday too
        }
        this.dayOfMonthRestricted = domRestricted;
        this.dayOfWeekRestricted = dowRestricted;
    }

    /**
     * Parses an expression.
     *
     * @throws IllegalArgumentException naming the field and the offending part when the expression is not
     *                                  five valid fields, or when it can never match (e.g. {@code 0 0 31 2 *})
     */
    static CronSchedule parse(String expression) {
        String[] parts = expression.trim().split("\\s+");
        if (expression.isBlank() || parts.length != 5) {
            throw new IllegalArgumentException("cron '" + expression + "' must have 5 fields (minute hour "
                    + "day-of-month month day-of-week), it has " + (expression.isBlank() ? 0 : parts.length));
        }
        BitSet[] fields = new BitSet[5];
        for (int i = 0; i < 5; i++) {
            fields[i] = field(parts[i], i);
        }
        CronSchedule c = new CronSchedule(fields, !parts[2].startsWith("*"), !parts[4].startsWith("*"));
        if (!c.canMatch()) {
            throw new IllegalArgumentException("cron '" + expression + "' never matches: no month it names has "
                    + "such a day of the month");
        }
        return c;
    }

    /** Whether the schedule fires on {@code date} (at the minutes and hours it names). */
    boolean matchesDay(LocalDate date) {
        if (!months.get(date.getMonthValue())) {
            return false;
        }
        boolean dom = daysOfMonth.get(date.getDayOfMonth());
        boolean dow = daysOfWeek.get(date.getDayOfWeek().getValue() % 7);
        return dayOfMonthRestricted && dayOfWeekRestricted ? dom || dow : dom && dow;
    }

    BitSet hours() {
        return (BitSet) hours.clone();
    }

    BitSet minutes() {
        return (BitSet) minutes.clone();
    }

    /** Some named month has some named day (a day-of-week alternative always matches some day). */
    private boolean canMatch() {
        if (dayOfMonthRestricted && dayOfWeekRestricted) {
            return true;
        }
        for (int m = months.nextSetBit(1); m >= 0; m = months.nextSetBit(m + 1)) {
            int longest = m == 2 ? 29 : YearMonth.of(2000, m).lengthOfMonth();
            int first = daysOfMonth.nextSetBit(1);
            if (first >= 1 && first <= longest) {
                return true;
            }
        }
        return false;
    }

    private static BitSet field(String text, int index) {
        BitSet set = new BitSet(MAX[index] + 1);
        for (String part : text.split(",", -1)) {
            addPart(set, part, index);
        }
        return set;
    }

    private static void addPart(BitSet set, String part, int i) {
        String range = part;
        int step = 1;
        int slash = part.indexOf('/');
        if (slash >= 0) {
            range = part.substring(0, slash);
            step = number(part.substring(slash + 1), i, part);
            if (step < 1) {
                throw error(i, part, "the step must be at least 1");
            }
        }
        int from;
        int to;
        if (range.equals("*")) {
            from = MIN[i];
            to = MAX[i];
        } else if (range.contains("-")) {
            String[] ends = range.split("-", -1);
            if (ends.length != 2) {
                throw error(i, part, "a range is a-b");
            }
            from = value(ends[0], i, part);
            to = value(ends[1], i, part);
            if (from > to) {
                throw error(i, part, "the range's start is after its end");
            }
        } else {
            from = value(range, i, part);
            to = slash >= 0 ? MAX[i] : from;
        }
        for (int v = from; v <= to; v += step) {
            set.set(v);
        }
    }

    private static int value(String s, int i, String part) {
        int v = number(s, i, part);
        if (v < MIN[i] || v > MAX[i]) {
            throw error(i, part, v + " is outside " + MIN[i] + "-" + MAX[i]);
        }
        return v;
    }

    private static int number(String s, int i, String part) {
        if (!s.matches("\\d{1,4}")) {
            throw error(i, part, "'" + s + "' is not a number (only numbers, '*', ',', '-' and '/' are allowed)");
        }
        return Integer.parseInt(s);
    }

    private static IllegalArgumentException error(int i, String part, String why) {
        return new IllegalArgumentException(String.format(Locale.ROOT, "cron field %d (%s) '%s': %s", i + 1,
                NAMES[i], part, why));
    }
}
