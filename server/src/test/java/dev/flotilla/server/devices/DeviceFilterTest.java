package dev.flotilla.server.devices;

import dev.flotilla.server.errors.DomainError;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The device listing's filters read from query parameters: blank means any, fixed values are checked. */
class DeviceFilterTest {
    private static final Presence PRESENCE = new Presence(Clock.fixed(Instant.parse("2026-12-03T12:00:00Z"),
            ZoneOffset.UTC), Duration.ofMinutes(1));

    private static final FleetBaseline BASELINE = new FleetBaseline(Map.of("board-a", 5L), 2L);

    private static DeviceFilter from(Map<String, String> query) {
        return DeviceFilter.from(query::get, PRESENCE, () -> BASELINE);
    }

    @Test
    void filtersAreReadTrimmedAndBlankMeansAny() {
        DeviceFilter f = from(Map.of("group", " lab ", "tag", " ", "status", "active", "attribute", "site=a=b",
                "connectivity", "online"));
        assertThat(f.group()).isEqualTo("lab");
        assertThat(f.tag()).isNull();
        assertThat(f.status()).isEqualTo("active");
        assertThat(f.attribute()).isEqualTo(new DeviceFilter.Attribute("site", "a=b"));
        assertThat(f.connectivity()).isEqualTo("online");
        assertThat(from(Map.of()).status()).isNull();
    }

    @Test
    void anUnknownFixedValueOrAMalformedAttributeIsRefused() {
        assertThatThrownBy(() -> from(Map.of("status", "broken")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> {
                    assertThat(e.code()).isEqualTo("invalid_request");
                    assertThat(e.getMessage()).isEqualTo(
                            "query parameter 'status' must be one of active, decommissioned; got 'broken'");
                });
        assertThatThrownBy(() -> from(Map.of("connectivity", "sometimes")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "query parameter 'connectivity' must be one of online, offline; got 'sometimes'"));
        assertThatThrownBy(() -> from(Map.of("attribute", "=x")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "query parameter 'attribute' must be NAME=VALUE; got '=x'"));
    }

    @Test
    void aRolloutStateNeedsItsRolloutAndIsOneOfTheFunnelsColumns() {
        DeviceFilter f = from(Map.of("rollout", "rol_1", "rolloutState", "rolled_back"));
        assertThat(f.rollout()).isEqualTo("rol_1");
        assertThat(f.rolloutState()).isEqualTo("rolled_back");
        assertThat(from(Map.of("rollout", "rol_1")).rolloutState()).isNull();
        assertThatThrownBy(() -> from(Map.of("rolloutState", "failed")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "query parameter 'rolloutState' needs 'rollout' (the rollout's id)"));
        assertThatThrownBy(() -> from(Map.of("rollout", "rol_1", "rolloutState", "exploded")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> assertThat(e.getMessage())
                        .startsWith("query parameter 'rolloutState' must be one of pending, downloading,"));
    }

    @Test
    void theSecurityVersionAndTrustedRootFiltersAreBehindOrCurrentAndReadTheBaselineOnlyWhenGiven() {
        DeviceFilter f = from(Map.of("securityVersion", "behind", "trustedRoot", "current"));
        assertThat(f.securityVersion()).isEqualTo("behind");
        assertThat(f.trustedRoot()).isEqualTo("current");
        assertThat(f.baseline()).isEqualTo(BASELINE);
        DeviceFilter none = DeviceFilter.from(Map.of("securityVersion", " ")::get, PRESENCE, () -> {
            throw new AssertionError("the baseline was read for no filter that needs it");
        });
        assertThat(none.securityVersion()).isNull();
        assertThat(none.baseline()).isNull();
        assertThatThrownBy(() -> from(Map.of("securityVersion", "below")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "query parameter 'securityVersion' must be one of behind, current; got 'below'"));
        assertThatThrownBy(() -> from(Map.of("trustedRoot", "1")))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "query parameter 'trustedRoot' must be one of behind, current; got '1'"));
    }
}
