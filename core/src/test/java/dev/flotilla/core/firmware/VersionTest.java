package dev.flotilla.core.firmware;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VersionTest {
    @ParameterizedTest
    @CsvSource({
            "1.9, 1.10",
            "1.2.3, 1.2.4",
            "1, 1.0.1",
            "2.0.0-rc.1, 2.0.0",
            "2.0.0-alpha, 2.0.0-alpha.1",
            "2.0.0-alpha.1, 2.0.0-alpha.beta",
            "2.0.0-beta.2, 2.0.0-beta.11",
            "2.0.0-beta.11, 2.0.0-rc.1",
            "0.9.9, 1",
            "1.2.3.4, 1.2.3.5",
    })
    void ordersOlderBeforeNewer(String older, String newer) {
        assertThat(Version.parse(older)).isLessThan(Version.parse(newer));
        assertThat(Version.parse(newer)).isGreaterThan(Version.parse(older));
    }

    @ParameterizedTest
    @CsvSource({"1.2, 1.2.0", "1.0+build.1, 1.0+build.2", "01.2, 1.2", "1.0-rc.01, 1.0-rc.1"})
    void treatsEquivalentSpellingsAsEqual(String a, String b) {
        assertThat(Version.parse(a)).isEqualTo(Version.parse(b)).hasSameHashCodeAs(Version.parse(b));
        assertThat(Version.parse(a).compareTo(Version.parse(b))).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "v1.0", "1..2", "1.", ".1", "1.x", "1.0-", "1.0+", "1.0-rc..1", "1.0-r c"})
    void refusesMalformedVersions(String text) {
        assertThatThrownBy(() -> Version.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid version");
        assertThat(Version.isValid(text)).isFalse();
    }

    @Test
    void keepsTheOriginalText() {
        assertThat(Version.parse("1.2.0-rc.1+b7")).hasToString("1.2.0-rc.1+b7");
    }
}
