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
                .isEqualTo(new HealthCheck.Result.Unhealthy("sh exited 7"));
    }

    @Test
    void commandRunningPastItsTimeoutIsUnhealthyAndKilled() throws Exception {
        long start = System.nanoTime();
        HealthCheck.Result r = new CommandCheck(List.of("sleep", "30"), Duration.ofMillis(300)).run();
        assertThat(r).isEqualTo(new HealthCheck.Result.Unhealthy("sleep timed out after PT0.3S"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void waitsForTheMinimumUptimeBeforeChecking() throws Exception {
        assertThat(checks(List.of(), 60_000, 45_000).run()).isEqualTo(new HealthCheck.Result.Healthy());
        assertThat(slept).containsExactly(15_000L);
        checks(List.of(), 60_000, 70_000).run();
        assertThat(slept).hasSize(1);
    }

    @Test
    void firstFailureDecidesAndAThrowingCheckIsUnhealthy() throws Exception {
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
        HealthCheck.Result r = checks(List.of(ok, broken, later), 0, 0).run();
        assertThat(r).isInstanceOf(HealthCheck.Result.Unhealthy.class);
        assertThat(((HealthCheck.Result.Unhealthy) r).why()).contains("no route to server");
        assertThat(ran).containsExactly("ok", "broken");
    }
}
