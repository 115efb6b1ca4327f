package dev.flotilla.agent.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.update.Assignment;
import dev.flotilla.agent.update.CommandCheck;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaintenancePolicyTest {
    static final Assignment NORMAL = new Assignment("a", "fw.img", "2.0.0", 10, "0".repeat(64), 1);
    static final Assignment FORCED = new Assignment("a", "fw.img", "2.0.0", 10, "0".repeat(64), 1, true);
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static Clock at(String utc) {
        return Clock.fixed(Instant.parse(utc), ZoneOffset.UTC);
    }

    static MaintenancePolicy policy(List<String> windows, CommandCheck idle, Clock clock) {
        return new MaintenancePolicy(windows.stream().map(DailyWindow::parse).toList(), BERLIN, idle, clock);
    }

    @Test
    void installsOnlyInsideTheWindowInTheConfiguredZone() throws InterruptedException {
        List<String> w = List.of("02:00-04:30");
        // 01:30 UTC in winter = 02:30 in Berlin: inside
        assertThat(policy(w, null, at("2026-01-10T01:30:00Z")).mayInstall(NORMAL)).isTrue();
        // 00:59 UTC = 01:59 Berlin: outside
        assertThat(policy(w, null, at("2026-01-10T00:59:00Z")).mayInstall(NORMAL)).isFalse();
        // end is exclusive: 03:30 UTC = 04:30 Berlin
        assertThat(policy(w, null, at("2026-01-10T03:30:00Z")).mayInstall(NORMAL)).isFalse();
        // summer time: 00:30 UTC = 02:30 CEST: inside
        assertThat(policy(w, null, at("2026-07-10T00:30:00Z")).mayInstall(NORMAL)).isTrue();
    }

    @Test
    void windowsMayCrossMidnight() throws InterruptedException {
        List<String> w = List.of("22:00-02:00");
        assertThat(policy(w, null, at("2026-01-10T22:30:00Z")).mayInstall(NORMAL)).isTrue(); // 23:30
        assertThat(policy(w, null, at("2026-01-10T00:30:00Z")).mayInstall(NORMAL)).isTrue(); // 01:30
        assertThat(policy(w, null, at("2026-01-10T12:00:00Z")).mayInstall(NORMAL)).isFalse();
    }

    @Test
    void aForcedAssignmentIgnoresTheWindow() throws InterruptedException {
        assertThat(policy(List.of("02:00-03:00"), null, at("2026-01-10T12:00:00Z")).mayInstall(FORCED)).isTrue();
    }

    @Test
    void anIdleCheckThatPassesAllowsInstallingOutsideTheWindow() throws InterruptedException {
        Clock noon = at("2026-01-10T12:00:00Z");
        CommandCheck idle = new CommandCheck(List.of("true"), Duration.ofSeconds(5));
        CommandCheck busy = new CommandCheck(List.of("false"), Duration.ofSeconds(5));
        assertThat(policy(List.of("02:00-03:00"), idle, noon).mayInstall(NORMAL)).isTrue();
        assertThat(policy(List.of("02:00-03:00"), busy, noon).mayInstall(NORMAL)).isFalse();
        assertThat(policy(List.of(), busy, noon).mayInstall(NORMAL)).isFalse();
    }

    @Test
    void noWindowsAndNoIdleCheckMeansAlways() throws InterruptedException {
        assertThat(policy(List.of(), null, at("2026-01-10T12:00:00Z")).mayInstall(NORMAL)).isTrue();
    }

    @Test
    void windowsAreParsedStrictly() {
        assertThat(DailyWindow.parse("00:00-00:00").contains(java.time.LocalTime.NOON)).isTrue();
        for (String bad : List.of("2-4", "02:00", "02:00-25:00", "0200-0400", "02:00-04:00-05:00")) {
            assertThatThrownBy(() -> DailyWindow.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
