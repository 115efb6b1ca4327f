package dev.flotilla.core.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequiredToolsTest {
    @Test
    void aMissingToolSkipsOnADevelopersMachineAndFailsUnderCi() {
        assertThatThrownBy(() -> RequiredTools.assumeInstalled(false, "haproxy is not installed", false))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("haproxy is not installed");
        assertThatThrownBy(() -> RequiredTools.assumeInstalled(false, "haproxy is not installed", true))
                .isInstanceOf(AssertionError.class).hasMessageContaining(".ci/run")
                .hasMessageContaining("haproxy is not installed");
    }

    @Test
    void anInstalledToolRunsEitherWay() {
        assertThatCode(() -> RequiredTools.assumeInstalled(true, "x", false)).doesNotThrowAnyException();
        assertThatCode(() -> RequiredTools.assumeInstalled(true, "x", true)).doesNotThrowAnyException();
    }

    @Test
    void ciIsAnyValueButEmptyOrFalse() {
        assertThat(RequiredTools.underCi("true")).isTrue();
        assertThat(RequiredTools.underCi("1")).isTrue();
        assertThat(RequiredTools.underCi(null)).isFalse();
        assertThat(RequiredTools.underCi("")).isFalse();
        assertThat(RequiredTools.underCi("false")).isFalse();
    }
}
