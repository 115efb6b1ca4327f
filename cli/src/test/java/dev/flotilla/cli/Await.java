package dev.flotilla.cli;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Waits in tests for a value read from a running system (a server's API, a board's files) to satisfy a condition,
 * reading it again every {@code 200 ms}. The limit is generous on purpose: it only bounds a test that would
 * otherwise hang, it never judges speed; when it runs out, the assertion error carries the last value read and
 * whatever the caller's {@code context} says (logs of the boards or nodes).
 */
public final class Await {
    /** The longest a test waits for a system under load to get where it must (a hang guard, not a speed check). */
    public static final Duration LIMIT = Duration.ofMinutes(3);

    private Await() {
    }

    /** Reads a value that may throw (an HTTP call, a file). */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /** Reads {@code probe} until {@code done} accepts its value, and returns that value. */
    public static <T> T until(Probe<T> probe, Predicate<T> done, Probe<String> context) throws Exception {
        long end = System.nanoTime() + LIMIT.toNanos();
        T last = null;
        while (System.nanoTime() < end) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        String more;
        try {
            more = context.get();
        } catch (Exception e) {
            more = "(could not read more: " + e + ")";
        }
        throw new AssertionError("not reached within " + LIMIT.toMinutes() + " minutes; last value: " + last
                + "; " + more);
    }
}
