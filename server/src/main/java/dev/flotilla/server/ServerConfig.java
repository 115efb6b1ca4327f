package dev.flotilla.server;

import dev.flotilla.core.mqtt.MqttBroker;
import dev.flotilla.server.artifacts.ArtifactSettings;
import dev.flotilla.server.devices.CheckIns;
import dev.flotilla.server.devices.EventRetention;
import dev.flotilla.server.trust.OnlineKeySettings;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a server runs: where its data lives, where it listens, which database it uses, and its timing.
 *
 * @param dataDir          directory for the server's files (default {@code ./flotilla-data})
 * @param port             TCP port; 0 picks a free one (default 8080)
 * @param host             address to bind (default {@code 0.0.0.0})
 * @param databaseUrl      JDBC URL; default an H2 file database under {@code dataDir}
 * @param maxRequestBytes  largest request body accepted on the API (larger is refused with 413)
 * @param maxImageBytes    largest release image accepted (larger is refused with 413)
 * @param deviceTokenTtl   lifetime of a device bearer token obtained by challenge/response
 * @param challengeTtl     lifetime of a challenge nonce
 * @param pollInterval     base check-in interval told to devices (jitter of up to 20% is added), from 1 s to
 *                         {@link #MAX_POLL_INTERVAL}
 * @param clock            time source for expiries and audit timestamps
 * @param mqtt             MQTT broker for wake-up messages (URL, login, CA bundle), or null for none
 * @param tlsCert          PEM certificate chain for HTTPS, or null for plain HTTP (then {@code tlsKey} is null too)
 * @param tlsKey           PEM PKCS#8 private key matching {@code tlsCert}
 * @param publicArtifacts  whether anyone may download released images ({@code /tuf/targets/}), for mirrors
 *                         and CDNs; by default (false) only operators and the devices assigned an image may
 * @param artifacts        where release images are kept and how downloads are answered (default: the data
 *                         directory, served by the node)
 * @param eventsRetention  how long device events are kept after the server received them: whole days, from 1 to
 *                         {@link EventRetention#MAX_DAYS} (default {@link EventRetention#DEFAULT_RETENTION})
 * @param onlineKeys       where the online keys are read from, and whether they may differ from those the trusted
 *                         root names (default: {@code dataDir/keys}, created on first start, and they may not)
 * @param cacheLease       on PostgreSQL, how long after each read of the change feed the idle check-in cache may
 *                         answer, which is also how long an operator write waits before it returns so that every
 *                         server shows it; every server on one database must have the same. From
 *                         {@link #MIN_CACHE_LEASE} to a minute (default {@link CheckIns#DEFAULT_CACHE_LEASE});
 *                         shorter makes those writes return sooner, and the cache lapses (check-ins then read the
 *                         database) whenever a read of the feed takes longer
 */
public record ServerConfig(Path dataDir, int port, String host, String databaseUrl, long maxRequestBytes,
                           long maxImageBytes, Duration deviceTokenTtl, Duration challengeTtl, Duration pollInterval,
                           Clock clock, MqttBroker mqtt, Path tlsCert, Path tlsKey,
                           boolean publicArtifacts, ArtifactSettings artifacts, Duration eventsRetention,
                           OnlineKeySettings onlineKeys, Duration cacheLease) {
    public static final Path DEFAULT_DATA_DIR = Path.of("flotilla-data");
    public static final int DEFAULT_PORT = 8080;
    /**
     * The longest check-in interval the server tells devices (24 hours; the agent caps what it takes at the
     * same value).
     */
    public static final Duration MAX_POLL_INTERVAL = Duration.ofHours(24);
    /** The shortest {@link #cacheLease}: twice the change feed's 50 ms between reads. */
    public static final Duration MIN_CACHE_LEASE = Duration.ofMillis(100);

    public ServerConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        dataDir = dataDir.toAbsolutePath().normalize();
        if (databaseUrl == null || databaseUrl.isBlank()) {
            databaseUrl = defaultH2Url(dataDir);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(deviceTokenTtl, "deviceTokenTtl");
        Objects.requireNonNull(challengeTtl, "challengeTtl");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (pollInterval.compareTo(Duration.ofSeconds(1)) < 0 || pollInterval.compareTo(MAX_POLL_INTERVAL) > 0) {
            throw new IllegalArgumentException("the poll interval must be from 1 to " + MAX_POLL_INTERVAL.toSeconds()
                    + " seconds (24 hours), got " + pollInterval.toSeconds());
        }
        Objects.requireNonNull(clock, "clock");
        artifacts = artifacts == null ? ArtifactSettings.local() : artifacts;
        eventsRetention = EventRetention.requireValid(
                eventsRetention == null ? EventRetention.DEFAULT_RETENTION : eventsRetention);
        onlineKeys = onlineKeys == null ? OnlineKeySettings.DATA_DIRECTORY : onlineKeys;
        cacheLease = cacheLease == null ? CheckIns.DEFAULT_CACHE_LEASE : cacheLease;
        if (cacheLease.compareTo(MIN_CACHE_LEASE) < 0 || cacheLease.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("the cache lease must be from " + MIN_CACHE_LEASE.toMillis()
                    + " ms to a minute, got " + cacheLease.toMillis() + " ms");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("give both a TLS certificate and a TLS key, or neither");
        }
    }

    /** The defaults: {@code ./flotilla-data}, port 8080, H2 under the data dir, plain HTTP, no MQTT. */
    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_DATA_DIR, DEFAULT_PORT, "0.0.0.0", null, 1024 * 1024, 1024L * 1024 * 1024,
                Duration.ofMinutes(15), Duration.ofMinutes(2), Duration.ofMinutes(5), Clock.systemUTC(), null, null, null,
                false, null, null, null, null);
    }

    /** The embedded database: an H2 file {@code flotilla} in {@code dataDir}. */
    public static String defaultH2Url(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("flotilla");
    }

    public ServerConfig withDataDir(Path dir) {
        boolean defaultDb = databaseUrl.equals(defaultH2Url(dataDir));
        return edit(c -> {
            c.dataDir = dir;
            c.databaseUrl = defaultDb ? null : databaseUrl;
        });
    }

    public ServerConfig withPort(int p) {
        return edit(c -> c.port = p);
    }

    public ServerConfig withHost(String h) {
        return edit(c -> c.host = h);
    }

    public ServerConfig withDatabaseUrl(String url) {
        return edit(c -> c.databaseUrl = url);
    }

    public ServerConfig withMaxRequestBytes(long max) {
        return edit(c -> c.maxRequestBytes = max);
    }

    public ServerConfig withMaxImageBytes(long max) {
        return edit(c -> c.maxImageBytes = max);
    }

    public ServerConfig withClock(Clock clock) {
        return edit(c -> c.clock = clock);
    }

    /** Wake-ups through the broker at {@code url} without a login; null for none. */
    public ServerConfig withMqttUrl(URI url) {
        return withMqtt(url == null ? null : MqttBroker.anonymous(url));
    }

    /** Wake-ups through {@code broker}; null for none. */
    public ServerConfig withMqtt(MqttBroker broker) {
        return edit(c -> c.mqtt = broker);
    }

    public ServerConfig withTls(Path cert, Path key) {
        return edit(c -> {
            c.tlsCert = cert;
            c.tlsKey = key;
        });
    }

    /** This configuration with another poll interval (1 s to {@link #MAX_POLL_INTERVAL}, else refused). */
    public ServerConfig withPollInterval(Duration interval) {
        return edit(c -> c.pollInterval = interval);
    }

    /** Anyone may download released images (a mirror or CDN fetches them); see {@link #publicArtifacts()}. */
    public ServerConfig withPublicArtifacts(boolean open) {
        return edit(c -> c.publicArtifacts = open);
    }

    /** Release images kept and served as {@code settings} say. */
    public ServerConfig withArtifacts(ArtifactSettings settings) {
        return edit(c -> c.artifacts = settings);
    }

    /** Device events kept this long (whole days, 1 to {@link EventRetention#MAX_DAYS}, else refused). */
    public ServerConfig withEventsRetention(Duration retention) {
        return edit(c -> c.eventsRetention = retention);
    }

    /** Where the online keys come from ({@link OnlineKeySettings}). */
    public ServerConfig withOnlineKeys(OnlineKeySettings keys) {
        return edit(c -> c.onlineKeys = keys);
    }

    /** The idle check-in cache's lease on PostgreSQL ({@link #cacheLease()}; 100 ms to a minute, else refused). */
    public ServerConfig withCacheLease(Duration lease) {
        return edit(c -> c.cacheLease = lease);
    }

    /** The directory the online keys are read from: the configured one, else {@code dataDir/keys}. */
    public Path onlineKeysDir() {
        return onlineKeys.dir() == null ? dataDir.resolve("keys") : onlineKeys.dir();
    }

    /** This configuration with the fields {@code change} sets on a copy of it (validated as any other). */
    private ServerConfig edit(Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return c.build();
    }

    /** The fields of a configuration, to change some and build the next one: what each wither shares. */
    private static final class Copy {
        Path dataDir;
        int port;
        String host;
        String databaseUrl;
        long maxRequestBytes;
        long maxImageBytes;
        Duration deviceTokenTtl;
        Duration challengeTtl;
        Duration pollInterval;
        Clock clock;
        MqttBroker mqtt;
        Path tlsCert;
        Path tlsKey;
        boolean publicArtifacts;
        ArtifactSettings artifacts;
        Duration eventsRetention;
        OnlineKeySettings onlineKeys;
        Duration cacheLease;

        Copy(ServerConfig s) {
            dataDir = s.dataDir;
            port = s.port;
            host = s.host;
            databaseUrl = s.databaseUrl;
            maxRequestBytes = s.maxRequestBytes;
            maxImageBytes = s.maxImageBytes;
            deviceTokenTtl = s.deviceTokenTtl;
            challengeTtl = s.challengeTtl;
            pollInterval = s.pollInterval;
            clock = s.clock;
            mqtt = s.mqtt;
            tlsCert = s.tlsCert;
            tlsKey = s.tlsKey;
            publicArtifacts = s.publicArtifacts;
            artifacts = s.artifacts;
            eventsRetention = s.eventsRetention;
            onlineKeys = s.onlineKeys;
            cacheLease = s.cacheLease;
        }

        ServerConfig build() {
            return new ServerConfig(dataDir, port, host, databaseUrl, maxRequestBytes, maxImageBytes, deviceTokenTtl,
                    challengeTtl, pollInterval, clock, mqtt, tlsCert, tlsKey, publicArtifacts, artifacts,
                    eventsRetention, onlineKeys, cacheLease);
        }
    }
}
