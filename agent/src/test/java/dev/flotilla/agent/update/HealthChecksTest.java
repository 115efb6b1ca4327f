package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthChecksTest {
    private final List<Long> slept = new ArrayList<>();

    private HealthChecks checks(List<HealthCheck> list, long minUptimeMs, long uptimeMs) {
        return new HealthChecks(list, Duration.ofMillis(minUptimeMs), () -> uptimeMs, slept::add);
    }

    @Test
    void commandExitingZeroIsHealthy() throws Exception {
        assertThat(new CommandCheck(List.of("true"), Duration.ofSeconds(5)).run())
                .isEqualTo(new HealthCheck.Result.Healthy());
    }

    @Test
    void commandExitingNonZeroIsUnhealthyWithItsExitCode() throws Exception {
        assertThat(new CommandCheck(List.of("sh", "-c", "exit 7"), Duration.ofSeconds(5)).run())
                .isEqualTo(new HealthCheck.Result.Unhealthy("EXIT_NONZERO", "sh exited 7"));
        assertThat(new CommandCheck(List.of("/usr/lib/flotilla/health.d/10-services"), Duration.ofSeconds(5)).name())
                .isEqualTo("10-services");
    }

    @Test
    void commandRunningPastItsTimeoutIsUnhealthyAndKilled() throws Exception {
        long start = System.nanoTime();
        HealthCheck.Result r = new CommandCheck(List.of("sleep", "30"), Duration.ofMillis(300)).run();
        assertThat(r).isEqualTo(new HealthCheck.Result.Unhealthy("TIMEOUT", "sleep timed out after PT0.3S"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void waitsForTheMinimumUptimeBeforeChecking() throws Exception {
        assertThat(checks(List.of(), 60_000, 45_000).run().healthy()).isTrue();
        assertThat(slept).containsExactly(15_000L);
        checks(List.of(), 60_000, 70_000).run();
        assertThat(slept).hasSize(1);
    }

    @Test
    void everyCheckRunsAndIsReportedByNameWithItsReasonCodeAndAThrowingCheckIsUnhealthy() throws Exception {
        List<String> ran = new ArrayList<>();
        HealthCheck ok = () -> {
            ran.add("ok");
            return new HealthCheck.Result.Healthy();
        };
        HealthCheck broken = () -> {
            ran.add("broken");
            throw new IllegalStateException("no route to server");
        };
        HealthCheck later = () -> {
            ran.add("later");
            return new HealthCheck.Result.Healthy();
        };
        HealthCheck named = new CommandCheck(List.of("sh", "-c", "exit 2"), Duration.ofSeconds(5));
        HealthReport r = checks(List.of(ok, broken, later, named), 0, 0).run();
        assertThat(r.state()).isEqualTo(HealthReport.State.FAILING);
        assertThat(r.why()).isEqualTo("check-2 failed: no route to server; sh exited 2");
        assertThat(ran).containsExactly("ok", "broken", "later");
        assertThat(r.checks()).containsExactly(new HealthReport.Check("check-1", true, "OK", ""),
                new HealthReport.Check("check-2", false, "CHECK_ERROR", "check-2 failed: no route to server"),
                new HealthReport.Check("check-3", true, "OK", ""),
                new HealthReport.Check("sh", false, "EXIT_NONZERO", "sh exited 2"));
        assertThat(checks(List.of(ok, later), 0, 0).round().state()).isEqualTo(HealthReport.State.OK);
    }

    /** A fake uptime that the sleeper advances: the grace period passes without real waiting. */
    private final java.util.concurrent.atomic.AtomicLong uptime = new java.util.concurrent.atomic.AtomicLong();

    private HealthChecks withGrace(List<HealthCheck> list, long graceMs, long intervalMs) {
        return new HealthChecks(list, new HealthChecks.Timing(Duration.ZERO, Duration.ofMillis(graceMs),
                Duration.ofMillis(intervalMs)), uptime::get, ms -> {
                    slept.add(ms);
                    uptime.addAndGet(ms);
                });
    }

    private static HealthCheck failingTimes(int n, List<Long> ranAt, java.util.function.LongSupplier clock) {
        return () -> {
            ranAt.add(clock.getAsLong());
            return ranAt.size() <= n ? new HealthCheck.Result.Unhealthy("not up yet (" + ranAt.size() + ")")
                    : new HealthCheck.Result.Healthy();
        };
    }

    @Test
    void inTheGracePeriodFailingChecksAreRetriedAndPassAsSoonAsTheyPass() throws Exception {
        List<Long> ranAt = new ArrayList<>();
        HealthReport r = withGrace(List.of(failingTimes(3, ranAt, uptime::get)), 10_000, 1_000).run();
        assertThat(r.healthy()).isTrue();
        assertThat(ranAt).containsExactly(0L, 1_000L, 2_000L, 3_000L);
        assertThat(slept).containsExactly(1_000L, 1_000L, 1_000L);
    }

    @Test
    void checksThatKeepFailingAreUnhealthyOnlyAtTheEndOfTheGracePeriod() throws Exception {
        List<Long> ranAt = new ArrayList<>();
        HealthReport r = withGrace(List.of(failingTimes(Integer.MAX_VALUE, ranAt, uptime::get)), 10_000, 3_000)
                .run();
        assertThat(r.why()).isEqualTo("not up yet (5)");
        assertThat(r.checks()).containsExactly(new HealthReport.Check("check-1", false, "FAILED", "not up yet (5)"));
        assertThat(ranAt).containsExactly(0L, 3_000L, 6_000L, 9_000L, 10_000L); // the last round at the very end
    }

    @Test
    void withoutAGracePeriodOneRoundDecides() throws Exception {
        List<Long> ranAt = new ArrayList<>();
        assertThat(withGrace(List.of(failingTimes(1, ranAt, uptime::get)), 0, 1_000).run().healthy()).isFalse();
        assertThat(ranAt).hasSize(1);
        assertThat(slept).isEmpty();
    }

    @Test
    void theGracePeriodStartsAfterTheMinimumUptime() throws Exception {
        List<Long> ranAt = new ArrayList<>();
        uptime.set(20_000);
        HealthChecks checks = new HealthChecks(List.of(failingTimes(Integer.MAX_VALUE, ranAt, uptime::get)),
                new HealthChecks.Timing(Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(5)),
                uptime::get, ms -> uptime.addAndGet(ms));
        checks.run();
        assertThat(ranAt).containsExactly(60_000L, 65_000L);
    }

    @Test
    void aTimingWithANonPositiveRetryIntervalIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new HealthChecks.Timing(Duration.ZERO,
                Duration.ofSeconds(1), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retry interval must be positive");
    }
}
