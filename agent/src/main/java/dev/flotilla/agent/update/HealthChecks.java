package dev.flotilla.agent.update;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * All health checks of a trial boot: first wait for the minimum uptime, then run the checks in order; the
 * first failure decides.
 */
public final class HealthChecks {
    private final List<HealthCheck> checks;
    private final Duration minimumUptime;
    private final LongSupplier uptimeMillis;
    private final Sleeper sleeper;

    /** How to wait (a test passes one that records instead of sleeping). */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    public HealthChecks(List<HealthCheck> checks, Duration minimumUptime, LongSupplier uptimeMillis, Sleeper sleeper) {
        this.checks = List.copyOf(checks);
        this.minimumUptime = minimumUptime;
        this.uptimeMillis = uptimeMillis;
        this.sleeper = sleeper;
    }

    /** Checks with the system's uptime from {@code /proc/uptime} and real sleeping. */
    public static HealthChecks system(List<HealthCheck> checks, Duration minimumUptime) {
        return new HealthChecks(checks, minimumUptime, HealthChecks::procUptimeMillis, Thread::sleep);
    }

    /** Waits for the minimum uptime, then runs every check. */
    public HealthCheck.Result run() throws InterruptedException {
        long wait = minimumUptime.toMillis() - uptimeMillis.getAsLong();
        if (wait > 0) {
            sleeper.sleep(wait);
        }
        for (HealthCheck c : checks) {
            HealthCheck.Result r;
            try {
                r = c.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                r = new HealthCheck.Result.Unhealthy(c + " failed: " + e.getMessage());
            }
            if (r instanceof HealthCheck.Result.Unhealthy) {
                return r;
            }
        }
        return new HealthCheck.Result.Healthy();
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
