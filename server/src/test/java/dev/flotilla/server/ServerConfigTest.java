package dev.flotilla.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerConfigTest {
    @Test
    void defaultsAreFlotillaDataPort8080AndH2UnderTheDataDir() {
        ServerConfig c = ServerConfig.defaults();
        assertThat(c.dataDir()).isEqualTo(Path.of("flotilla-data").toAbsolutePath());
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.databaseUrl()).isEqualTo("jdbc:h2:file:" + Path.of("flotilla-data").toAbsolutePath().resolve("flotilla"));
    }

    @Test
    void defaultDatabaseFollowsTheDataDirButAnExplicitOneStays() {
        ServerConfig moved = ServerConfig.defaults().withDataDir(Path.of("/srv/fl"));
        assertThat(moved.databaseUrl()).isEqualTo("jdbc:h2:file:/srv/fl/flotilla");
        ServerConfig pg = ServerConfig.defaults().withDatabaseUrl("jdbc:postgresql://db/f").withDataDir(Path.of("/srv/x"));
        assertThat(pg.databaseUrl()).isEqualTo("jdbc:postgresql://db/f");
    }

    @Test
    void portOutOfRangeIsRefused() {
        assertThatThrownBy(() -> ServerConfig.defaults().withPort(70000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPollIntervalAboveADayOrBelowASecondIsRefusedWithOneLine() {
        assertThat(ServerConfig.defaults().withPollInterval(java.time.Duration.ofHours(24)).pollInterval())
                .isEqualTo(ServerConfig.MAX_POLL_INTERVAL);
        for (long seconds : new long[] {0, -5, 86_401, 1_000_000_000L, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> ServerConfig.defaults().withPollInterval(java.time.Duration.ofSeconds(seconds)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the poll interval must be from 1 to 86400 seconds (24 hours), got " + seconds);
        }
    }

    @Test
    void theCacheLeaseIsHalfASecondByDefaultAndFromATenthOfASecondToAMinute() {
        assertThat(ServerConfig.defaults().cacheLease()).isEqualTo(java.time.Duration.ofMillis(500));
        assertThat(ServerConfig.defaults().withCacheLease(java.time.Duration.ofMillis(100)).cacheLease())
                .isEqualTo(ServerConfig.MIN_CACHE_LEASE);
        for (long millis : new long[] {0, -1, 99, 60_001}) {
            assertThatThrownBy(() -> ServerConfig.defaults().withCacheLease(java.time.Duration.ofMillis(millis)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the cache lease must be from 100 ms to a minute, got " + millis + " ms");
        }
    }

    @Test
    void theEventsRetentionIsNinetyDaysByDefaultAndWholeDaysFromOneToTenYears() {
        assertThat(ServerConfig.defaults().eventsRetention()).isEqualTo(java.time.Duration.ofDays(90));
        assertThat(ServerConfig.defaults().withEventsRetention(java.time.Duration.ofDays(3650)).eventsRetention())
                .isEqualTo(java.time.Duration.ofDays(3650));
        for (long days : new long[] {0, -1, 3651, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> dev.flotilla.server.devices.EventRetention.ofDays(days))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the events retention must be from 1 to 3650 days (ten years), got " + days);
        }
        assertThatThrownBy(() -> ServerConfig.defaults().withEventsRetention(java.time.Duration.ofHours(36)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the events retention must be from 1 to 3650 days (ten years), got PT36H");
        assertThatThrownBy(() -> ServerConfig.defaults().withEventsRetention(java.time.Duration.ofDays(4000)))
                .hasMessage("the events retention must be from 1 to 3650 days (ten years), got 4000");
    }

    @Test
    void eachWitherChangesItsOwnFieldsAndKeepsEveryOther() {
        ServerConfig base = ServerConfig.defaults().withDataDir(Path.of("/srv/base"));
        java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.EPOCH, java.time.ZoneOffset.UTC);
        ServerConfig all = base.withPort(9000).withHost("127.0.0.1").withMaxRequestBytes(7).withMaxImageBytes(8)
                .withClock(clock).withMqttUrl(java.net.URI.create("tcp://broker:1883"))
                .withTls(Path.of("/c.pem"), Path.of("/k.pem")).withPollInterval(java.time.Duration.ofSeconds(9))
                .withPublicArtifacts(true).withEventsRetention(java.time.Duration.ofDays(3))
                .withDatabaseUrl("jdbc:postgresql://db/f").withCacheLease(java.time.Duration.ofMillis(150));
        assertThat(all).isEqualTo(new ServerConfig(base.dataDir(), 9000, "127.0.0.1", "jdbc:postgresql://db/f", 7, 8,
                base.deviceTokenTtl(), base.challengeTtl(), java.time.Duration.ofSeconds(9), clock,
                core(java.net.URI.create("tcp://broker:1883")), Path.of("/c.pem"), Path.of("/k.pem"), true,
                base.artifacts(), java.time.Duration.ofDays(3), base.onlineKeys(), java.time.Duration.ofMillis(150)));
        assertThat(base.withPort(9000)).isEqualTo(new ServerConfig(base.dataDir(), 9000, base.host(),
                base.databaseUrl(), base.maxRequestBytes(), base.maxImageBytes(), base.deviceTokenTtl(),
                base.challengeTtl(), base.pollInterval(), base.clock(), null, null, null, false, base.artifacts(),
                base.eventsRetention(), base.onlineKeys(), base.cacheLease()));
    }

    private static dev.flotilla.core.mqtt.MqttBroker core(java.net.URI url) {
        return dev.flotilla.core.mqtt.MqttBroker.anonymous(url);
    }
}
