package dev.flotilla.sim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The network faults the simulator's {@link FaultyProxy} injects between the boards and the server, each at its
 * own rate. Each response is first drawn for a drop or a delay (at most one of the two); a download (a large
 * response) not dropped is then drawn for a reset or a truncation (at most one of the two).
 *
 * @param reset the share of downloads broken by a reset (RST) at a point drawn inside the body
 * @param truncate the share of downloads cut short by an orderly close (FIN) at a point drawn inside the body
 * @param drop the share of responses (any request's) whose connection is closed before the first byte of the answer
 *     (the request reached the server; its answer never comes)
 * @param delay the share of responses held back before their first byte, for {@code delayMillis}
 * @param delayMillis how long a delayed answer is held, in nominal (speed 1) milliseconds; the proxy holds it
 *     {@code delayMillis / speed} of wall time, as the simulator scales its other intervals
 */
public record Faults(double reset, double truncate, double drop, double delay, long delayMillis) {
    /** The nominal hold of a delayed answer when {@code delay-ms} is not given. */
    public static final long DEFAULT_DELAY_MILLIS = 2_000;
    /** The longest nominal hold {@code delay-ms} takes. */
    public static final long MAX_DELAY_MILLIS = 600_000;
    /** No fault at all: the boards talk to the server directly. */
    public static final Faults NONE = new Faults(0, 0, 0, 0, DEFAULT_DELAY_MILLIS);

    private static final String KINDS = "reset, truncate, drop, delay, delay-ms";

    /** @throws IllegalArgumentException when a rate is not from 0 to 1, or a pair of them adds up to more than 1 */
    public Faults {
        rate("reset", reset);
        rate("truncate", truncate);
        rate("drop", drop);
        rate("delay", delay);
        if (delayMillis < 0 || delayMillis > MAX_DELAY_MILLIS) {
            throw new IllegalArgumentException("delay-ms must be from 0 to " + MAX_DELAY_MILLIS + ", not "
                    + delayMillis);
        }
        if (reset + truncate > 1) {
            throw new IllegalArgumentException("reset + truncate must not exceed 1 (a download breaks one way at"
                    + " most)");
        }
        if (drop + delay > 1) {
            throw new IllegalArgumentException("drop + delay must not exceed 1 (an answer is dropped or delayed, not"
                    + " both)");
        }
    }

    /**
     * Parses {@code KIND=VALUE} pairs separated by commas, for instance
     * {@code reset=0.1,drop=0.05,delay=0.2,delay-ms=500}:
     * the kinds {@code reset}, {@code truncate}, {@code drop} and {@code delay} take a rate from 0 to 1 (a kind not
     * named is 0), {@code delay-ms} the nominal hold of a delayed answer (default {@value #DEFAULT_DELAY_MILLIS});
     * {@code none} is no fault at all.
     *
     * @throws IllegalArgumentException with a one-line message when the text is not that
     */
    public static Faults parse(String spec) {
        if (spec.isBlank()) {
            throw new IllegalArgumentException("no faults given: KIND=RATE pairs (" + KINDS + "), or none");
        }
        if (spec.strip().equals("none")) {
            return NONE;
        }
        Map<String, String> given = new LinkedHashMap<>();
        for (String pair : spec.split(",", -1)) {
            String[] kv = pair.strip().split("=", -1);
            if (kv.length != 2 || kv[0].isBlank()) {
                throw new IllegalArgumentException("'" + pair.strip() + "' is not KIND=VALUE (" + KINDS + ")");
            }
            String kind = kv[0].strip().toLowerCase(Locale.ROOT);
            if (!Set.of("reset", "truncate", "drop", "delay", "delay-ms").contains(kind)) {
                throw new IllegalArgumentException("unknown fault '" + kind + "' (one of: " + KINDS + ")");
            }
            if (given.put(kind, kv[1].strip()) != null) {
                throw new IllegalArgumentException("'" + kind + "' given twice");
            }
        }
        return new Faults(rate(given, "reset"), rate(given, "truncate"), rate(given, "drop"), rate(given, "delay"),
                millis(given.get("delay-ms")));
    }

    /** Whether any fault is on (else no proxy is needed). */
    public boolean any() {
        return reset > 0 || truncate > 0 || drop > 0 || delay > 0;
    }

    /** The wall time a delayed answer is held at {@code speed}: {@code delayMillis / speed}. */
    long delayWallMillis(double speed) {
        return Math.round(delayMillis / speed);
    }

    private static double rate(Map<String, String> given, String kind) {
        String v = given.get(kind);
        if (v == null) {
            return 0;
        }
        double r;
        try {
            r = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            r = Double.NaN;
        }
        if (!(r >= 0 && r <= 1)) {
            throw new IllegalArgumentException(kind + " must be a rate from 0 to 1, not '" + v + "'");
        }
        return r;
    }

    private static void rate(String kind, double r) {
        if (!(r >= 0 && r <= 1)) {
            throw new IllegalArgumentException(kind + " must be a rate from 0 to 1, not " + r);
        }
    }

    private static long millis(String v) {
        if (v == null) {
            return DEFAULT_DELAY_MILLIS;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("delay-ms must be whole milliseconds from 0 to " + MAX_DELAY_MILLIS
                    + ", not '" + v + "'");
        }
    }
}
