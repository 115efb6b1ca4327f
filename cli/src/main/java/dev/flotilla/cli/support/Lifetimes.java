package dev.flotilla.cli.support;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Lifetimes on the command line: {@code 90d}, {@code 36h}, {@code 2w}. */
public final class Lifetimes {
    private static final Pattern FORM = Pattern.compile("([1-9]\\d{0,4})([hdw])");
    /** The longest lifetime accepted (ten years). */
    public static final Duration MAX = Duration.ofDays(3650);

    private Lifetimes() {
    }

    /** @throws IllegalArgumentException naming {@code option} for anything else, or more than {@link #MAX} */
    public static Duration parse(String option, String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": expected a lifetime such as 90d, 36h or 2w, got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
        if (d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(option + ": at most " + MAX.toDays() + "d, got '" + text + "'");
        }
        return d;
    }
}
