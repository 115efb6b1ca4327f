package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;

import java.util.Set;

/**
 * An exponential ramp, the alternative to stages (as AWS IoT Jobs' exponential rollout rate): devices of the
 * selection are admitted one after the other in rollout order ({@link Cohorts}) at {@code baseRatePerMinute},
 * and each time the increase criterion is met again (another {@code notified} devices admitted, or another
 * {@code succeeded} devices committed) the rate is multiplied by {@code incrementFactor}, up to
 * {@code maximumPerMinute}. The rate is a function of the counts, {@code min(maximum, base * factor^k)} with
 * {@code k = floor(count / criterion)}, so it needs no state of its own. JSON:
 * <pre>{@code
 * {"baseRatePerMinute": 10, "incrementFactor": 2, "increaseCriteria": {"notified": 50}, "maximumPerMinute": 500}
 * }</pre>
 *
 * @param notified  the rate grows after each this many devices admitted (exactly one of it and {@code succeeded})
 * @param succeeded the rate grows after each this many devices committed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Ramp(long baseRatePerMinute, double incrementFactor, Criteria increaseCriteria, long maximumPerMinute) {
    private static final String CODE = "invalid_plan";
    /** The highest rate a ramp may ask for (devices per minute). */
    static final long MAX_RATE = 100_000;

    /** When the rate grows: after each {@code notified} devices admitted, or each {@code succeeded} committed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Criteria(Long notified, Long succeeded) {
    }

    /** The rate (devices per minute) after {@code admitted} devices were admitted and {@code committed} committed. */
    double rate(long admitted, long committed) {
        long count = increaseCriteria.notified() != null ? admitted : committed;
        long step = increaseCriteria.notified() != null ? increaseCriteria.notified() : increaseCriteria.succeeded();
        double rate = baseRatePerMinute * Math.pow(incrementFactor, (double) (count / step));
        return Math.min(maximumPerMinute, rate);
    }

    /**
     * Reads and validates a ramp.
     *
     * @throws DomainError.Invalid {@code invalid_plan}, naming the field
     */
    static Ramp parse(JsonNode json, String path) {
        Fields f = Fields.of(json, path, CODE, Set.of("baseRatePerMinute", "incrementFactor", "increaseCriteria",
                "maximumPerMinute"));
        long base = f.integer("baseRatePerMinute", 1, MAX_RATE)
                .orElseThrow(() -> f.invalid("baseRatePerMinute", "is required (devices per minute, 1 to " + MAX_RATE + ")"));
        double factor = f.number("incrementFactor", 1.1, 5, false)
                .orElseThrow(() -> f.invalid("incrementFactor", "is required (a number from 1.1 to 5)"));
        if (!f.has("increaseCriteria")) {
            throw f.invalid("increaseCriteria", "is required: {\"notified\": N} or {\"succeeded\": N}");
        }
        Fields c = Fields.of(f.get("increaseCriteria"), f.at("increaseCriteria"), CODE, Set.of("notified", "succeeded"));
        if (c.has("notified") == c.has("succeeded")) {
            throw new DomainError.Invalid(CODE, c.path() + " must have exactly one of 'notified' and 'succeeded'");
        }
        Criteria criteria = new Criteria(c.integer("notified", 1, Integer.MAX_VALUE).orElse(null),
                c.integer("succeeded", 1, Integer.MAX_VALUE).orElse(null));
        long max = f.integer("maximumPerMinute", 1, MAX_RATE).orElse(Math.max(base, 1000));
        if (max < base) {
            throw f.invalid("maximumPerMinute", "must be at least baseRatePerMinute (" + base + "), got " + max);
        }
        return new Ramp(base, factor, criteria, max);
    }
}
