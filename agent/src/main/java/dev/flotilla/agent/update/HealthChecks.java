package dev.flotilla.agent.update;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * All health checks of a trial boot: first wait for the minimum uptime, then run rounds of every check in
 * order (a round fails when any check fails; every check runs, so the report names each one's result). With
 * a grace period, a failed round is retried every retry interval
 * until the grace period (counted from the first round) is over: healthy as soon as a round passes,
 * unhealthy only when the last round inside the grace period failed. The time is the supplied uptime, so
 * a reboot during the grace period starts it again on the next boot (the boot counter bounds the reboots).
 */
public final class HealthChecks {
    private final List<HealthCheck> checks;
    private final Timing timing;
    private final LongSupplier uptimeMillis;
    private final Sleeper sleeper;
    /** Uptime of the first failed post-commit round since the last passing one, or -1; memory only. */
    private long failingSince = -1;

    /** How to wait (a test passes one that records or advances a fake uptime instead of sleeping). */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    /**
     * When the checks run.
     *
     * @param minimumUptime uptime to wait for before the first round
     * @param grace how long failing rounds are retried (zero: one round decides)
     * @param retryInterval the pause between rounds (positive)
     */
    public record Timing(Duration minimumUptime, Duration grace, Duration retryInterval) {
        public Timing {
            if (minimumUptime.isNegative() || grace.isNegative() || retryInterval.isNegative()
                    || retryInterval.isZero()) {
                throw new IllegalArgumentException("health timing: durations must not be negative, the retry "
                        + "interval must be positive: " + minimumUptime + ", " + grace + ", " + retryInterval);
            }
        }

        /** One round after {@code minimumUptime}, no grace period. */
        public static Timing once(Duration minimumUptime) {
            return new Timing(minimumUptime, Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    /** Checks with one round after the minimum uptime (no grace period). */
    public HealthChecks(List<HealthCheck> checks, Duration minimumUptime, LongSupplier uptimeMillis, Sleeper sleeper) {
        this(checks, Timing.once(minimumUptime), uptimeMillis, sleeper);
    }

    /** @param uptimeMillis milliseconds since boot, never going backwards */
    public HealthChecks(List<HealthCheck> checks, Timing timing, LongSupplier uptimeMillis, Sleeper sleeper) {
        this.checks = List.copyOf(checks);
        this.timing = timing;
        this.uptimeMillis = uptimeMillis;
        this.sleeper = sleeper;
    }

    /**
     * Checks with the system's uptime, waiting on the agent's {@code sleeper}: {@code /proc/uptime} read once,
     * then advanced by the sleeper's monotonic time (when {@code /proc/uptime} cannot be read, the uptime
     * counts from now).
     */
    public static HealthChecks system(List<HealthCheck> checks, Timing timing, dev.flotilla.agent.time.Sleeper sleeper) {
        long offset = procUptimeMillis() - sleeper.nanoTime() / 1_000_000;
        return new HealthChecks(checks, timing, () -> sleeper.nanoTime() / 1_000_000 + offset,
                millis -> sleeper.sleep(Duration.ofMillis(millis)));
    }

    /**
     * Waits for the minimum uptime, then runs rounds of every check until one passes or the grace period ends.
     *
     * @return the last round's report
     */
    public HealthReport run() throws InterruptedException {
        long wait = timing.minimumUptime().toMillis() - uptimeMillis.getAsLong();
        if (wait > 0) {
            sleeper.sleep(wait);
        }
        long deadline = uptimeMillis.getAsLong() + timing.grace().toMillis();
        while (true) {
            HealthReport r = round();
            long left = deadline - uptimeMillis.getAsLong();
            if (r.healthy() || left <= 0) {
                return r;
            }
            sleeper.sleep(Math.min(left, timing.retryInterval().toMillis()));
        }
    }

    /**
     * One post-commit round judged with the same grace period as a trial: a passing round counts at once; a
     * failed round counts only once rounds have kept failing for the grace period since the first of them
     * (zero grace: at once), so that a failure that heals by itself (a lost answer from the server) is not
     * reported. The first failed round is remembered in memory only: a restart starts the grace period again.
     *
     * @return the round, or null while a failure is not yet confirmed (the last verdict stands)
     */
    public HealthReport watchRound() throws InterruptedException {
        HealthReport r = round();
        long now = uptimeMillis.getAsLong();
        if (r.healthy()) {
            failingSince = -1;
            return r;
        }
        if (failingSince < 0) {
            failingSince = now;
        }
        return now - failingSince >= timing.grace().toMillis() ? r : null;
    }

    /** One round of every check in order, without waiting (the post-commit checks). */
    public HealthReport round() throws InterruptedException {
        List<HealthReport.Check> results = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            HealthCheck c = checks.get(i);
            String name = c.name() != null ? c.name() : "check-" + (i + 1);
            HealthCheck.Result r;
            try {
                r = c.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                r = new HealthCheck.Result.Unhealthy("CHECK_ERROR", name + " failed: " + e.getMessage());
            }
            results.add(r instanceof HealthCheck.Result.Unhealthy u
                    ? new HealthReport.Check(name, false, u.reasonCode(), u.why())
                    : new HealthReport.Check(name, true, "OK", ""));
        }
        return HealthReport.of(results);
    }

    static long procUptimeMillis() {
        try {
            String s = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
            return (long) (Double.parseDouble(s) * 1000);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
