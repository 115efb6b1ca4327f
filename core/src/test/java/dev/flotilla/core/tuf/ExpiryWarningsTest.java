package dev.flotilla.core.tuf;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ExpiryWarningsTest {
    private static final Instant NOW = Instant.parse("2027-01-01T00:00:00Z");

    @Test
    void offlineRolesAreWarnedAboutThirtyDaysAhead() {
        assertThat(ExpiryWarnings.check("targets", 4, NOW.plus(Duration.ofDays(31)), NOW)).isEmpty();
        assertThat(ExpiryWarnings.check("targets", 4, NOW.plus(Duration.ofDays(12)), NOW)).contains(
                "targets version 4 expires 2027-01-13T00:00:00Z, in 12 days (re-sign it: flotilla release refresh)");
        assertThat(ExpiryWarnings.check("root", 2, NOW.plus(Duration.ofHours(47)), NOW)).hasValueSatisfying(w ->
                assertThat(w).contains("in 47 hours"));
        assertThat(ExpiryWarnings.check("root", 2, NOW.plus(Duration.ofHours(5)), NOW)).hasValueSatisfying(w ->
                assertThat(w).startsWith("root version 2 expires").contains("in 5 hours").contains("flotilla trust rotate"));
        assertThat(ExpiryWarnings.check("root", 2, NOW.minusSeconds(1), NOW)).hasValueSatisfying(w ->
                assertThat(w).startsWith("root version 2 expired at 2026-12-31T23:59:59Z"));
    }

    @Test
    void onlineRolesAreWarnedAboutOnlyOnceExpired() {
        assertThat(ExpiryWarnings.check("timestamp", 9, NOW.plusSeconds(60), NOW)).isEmpty();
        assertThat(ExpiryWarnings.check("timestamp", 9, NOW.minusSeconds(60), NOW)).hasValueSatisfying(w ->
                assertThat(w).startsWith("timestamp version 9 expired at").contains("the server re-signs it"));
    }

    @Test
    void aDevicesTrustedMetadataIsWarnedAboutThirtyDaysAheadAndOnceExpired() {
        assertThat(ExpiryWarnings.forDevice(NOW.plus(Duration.ofDays(31)), NOW)).isEmpty();
        assertThat(ExpiryWarnings.forDevice(NOW.plus(Duration.ofDays(12)), NOW)).contains("the metadata this device"
                + " trusts expires 2027-01-13T00:00:00Z, in 12 days (it takes newer metadata from the server at its"
                + " next refresh: see flotilla trust status)");
        assertThat(ExpiryWarnings.forDevice(NOW.minusSeconds(1), NOW)).hasValueSatisfying(w ->
                assertThat(w).startsWith("the metadata this device trusts expired at 2026-12-31T23:59:59Z")
                        .contains("refuses updates"));
    }
}
