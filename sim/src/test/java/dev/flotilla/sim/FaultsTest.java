package dev.flotilla.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code --faults} text of {@code flotilla sim}: what it means, and a clear message when it means nothing. */
class FaultsTest {
    @Test
    void kindsNotNamedAreOffAndTheDelayHasADefault() {
        assertThat(Faults.parse("reset=0.1, drop=0.05,DELAY=0.2"))
                .isEqualTo(new Faults(0.1, 0, 0.05, 0.2, Faults.DEFAULT_DELAY_MILLIS));
        assertThat(Faults.parse("truncate=1,delay-ms=500")).isEqualTo(new Faults(0, 1, 0, 0, 500));
        assertThat(Faults.parse("none")).isEqualTo(Faults.NONE);
        assertThat(Faults.NONE.any()).isFalse();
        assertThat(Faults.parse("delay=0.01").any()).isTrue();
    }

    @Test
    void aDelayIsScaledBySpeed() {
        assertThat(new Faults(0, 0, 0, 1, 2_000).delayWallMillis(10)).isEqualTo(200);
    }

    @Test
    void flakyNetworkBreaksThirtyPercentOfDownloadsAndTheOthersNone() {
        Faults flaky = Scenario.FLAKY_NETWORK.faults();
        assertThat(flaky.reset() + flaky.truncate()).isEqualTo(0.3);
        assertThat(flaky.reset()).isEqualTo(flaky.truncate());
        assertThat(flaky.drop() + flaky.delay()).isZero();
        assertThat(Scenario.GOOD_RELEASE.faults().any()).isFalse();
        assertThat(Scenario.POWER_CUTS.faults().any()).isFalse();
    }

    @Test
    void badTextIsOneClearLine() {
        assertRefused("reset=1.5", "reset must be a rate from 0 to 1, not '1.5'");
        assertRefused("drop=-0.1", "drop must be a rate from 0 to 1, not '-0.1'");
        assertRefused("delay=lots", "delay must be a rate from 0 to 1, not 'lots'");
        assertRefused("reset=NaN", "reset must be a rate from 0 to 1, not 'NaN'");
        assertRefused("jitter=0.1", "unknown fault 'jitter' (one of: reset, truncate, drop, delay, delay-ms)");
        assertRefused("reset", "'reset' is not KIND=VALUE (reset, truncate, drop, delay, delay-ms)");
        assertRefused("reset=0.1,reset=0.2", "'reset' given twice");
        assertRefused("reset=0.6,truncate=0.5", "reset + truncate must not exceed 1 (a download breaks one way at most)");
        assertRefused("drop=0.5,delay=0.6", "drop + delay must not exceed 1 (an answer is dropped or delayed, not both)");
        assertRefused("delay=0.1,delay-ms=-5", "delay-ms must be from 0 to 600000, not -5");
        assertRefused("delay-ms=soon", "delay-ms must be whole milliseconds from 0 to 600000, not 'soon'");
        assertRefused(" ", "no faults given: KIND=RATE pairs (reset, truncate, drop, delay, delay-ms), or none");
    }

    @Test
    void aRecordOutOfRangeIsRefusedToo() {
        assertThatThrownBy(() -> new Faults(0, 0, 1.5, 0, 0)).hasMessage("drop must be a rate from 0 to 1, not 1.5");
    }

    private static void assertRefused(String spec, String message) {
        assertThatThrownBy(() -> Faults.parse(spec)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }
}
