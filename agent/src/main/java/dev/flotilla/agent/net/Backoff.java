package dev.flotilla.agent.net;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When to check in next: the regular interval plus random jitter after a success; after consecutive
 * errors an exponential backoff ({@code min * 2^(errors-1)}, capped at {@code max}) with the same jitter.
 */
public final class Backoff {
    private final Duration min;
    private final Duration max;
    private final double jitter;
    private final DoubleSupplier random;
    private int errors;

    /** @param random values in [0, 1) */
    public Backoff(Duration min, Duration max, double jitter, DoubleSupplier random) {
        this.min = min;
        this.max = max;
        this.jitter = jitter;
        this.random = random;
    }

    /** The delay after a successful check-in with this interval. */
    public Duration success(Duration interval) {
        errors = 0;
        return jittered(interval);
    }

    /** The delay after a failed check-in. */
    public Duration failure() {
        errors = Math.min(errors + 1, 62);
        long millis = min.toMillis();
        for (int i = 1; i < errors && millis < max.toMillis(); i++) {
            millis *= 2;
        }
        return jittered(Duration.ofMillis(Math.min(millis, max.toMillis())));
    }

    public int consecutiveErrors() {
        return errors;
    }

    private Duration jittered(Duration d) {
        return d.plusMillis((long) (d.toMillis() * jitter * random.getAsDouble()));
    }
}
