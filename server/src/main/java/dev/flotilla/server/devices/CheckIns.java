package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Routes;
import dev.flotilla.server.store.Consistency;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The check-in hot path. A device posts its signed manifest; the server verifies and stores it (unless
 * these exact bytes were verified and stored before), records that the device was seen, and answers with
 * its assignment and next poll interval. The ETag covers the manifest bytes and the assignment, so an
 * idle device that sends {@code If-None-Match} gets a 304 without signature checks or manifest writes.
 */
public final class CheckIns implements Consistency.CheckInState {
    /**
     * The cache's lease on PostgreSQL unless the server is configured otherwise: how long {@link #settle()} waits
     * there (it returns at once on H2 or without a cache).
     */
    public static final Duration DEFAULT_CACHE_LEASE = Duration.ofMillis(500);

    private static final String NO_ASSIGNMENT = "none";

    /** The outcome of a check-in. */
    public sealed interface Result {
        String etag();
    }

    /** The device already has this answer. */
    public record NotModified(String etag) implements Result {
    }

    /** A full answer. */
    public record Answer(String etag, Response body) implements Result {
    }

    /**
     * The check-in answer. {@code assignment} is the signed director envelope, or null when the device has
     * nothing to do.
     */
    public record Response(JsonNode assignment, long pollIntervalSeconds) {
    }

    /**
     * A device authenticated for a check-in, with what the idle decision needs, all read by the one query of
     * {@link #authenticate}: the stored manifest's envelope hash ({@code null} before the first check-in)
     * and the stored assignment row ({@code null} when there is none). {@code lookupStartNanos} is
     * {@link System#nanoTime()} when the lookup began, so that check-in latency covers it; {@code cached}
     * when it came from the {@link IdleCache} rather than the database (then it is used only to answer an
     * idle check-in: anything else authenticates again from the database).
     */
    public record Caller(String deviceId, String manifestHash, AssignmentSource.Stored assignment,
                         long lookupStartNanos, String tokenHash, boolean cached)
            implements Routes.DeviceCaller {
    }

    /** The token check of {@link DeviceAuth#authenticate} and the idle check-in's reads, in one statement. */
    private static final String CALLER_QUERY = "SELECT s.device_id, m.envelope_hash, a.status, a.body_hash, a.expires_at,"
            + " s.expires_at"
            + " FROM " + DeviceAuth.SESSIONS
            + " LEFT JOIN device_manifests m ON m.device_id = s.device_id"
            + " LEFT JOIN device_assignments a ON a.device_id = s.device_id"
            + " WHERE " + DeviceAuth.VALID_TOKEN;

    private final Jdbi jdbi;
    private final DataSource dataSource;
    private final Clock clock;
    private final Duration pollInterval;
    private final DeviceStore store = new DeviceStore();
    private final AssignmentSource assignments;
    private final LastSeen lastSeen;
    private final IdleCache cache;
    private final CacheFeed feed;

    /** Which idle cache, if any: it needs the database's change feed. */
    public enum Caching {
        /** Every check-in looks up the database. */
        NONE,
        /** {@link ChangeFeed}: triggers and snapshot reads; servers on one database settle writes. */
        POSTGRESQL,
        /** {@link H2ChangeFeed}: an H2 database embedded in this process; in-process triggers. */
        EMBEDDED_H2
    }

    /**
     * @param dataSource the pool behind {@code jdbi}; {@link #authenticate} uses it with plain JDBC (no Jdbi
     *                   statement set-up on the hottest path)
     * @param caching    which {@link IdleCache} answers idle check-ins (up to {@code cacheDevices} devices)
     * @param cacheLease on PostgreSQL, how long after each read of the change feed the cache may answer, and so how
     *                   long an operator write waits before it returns ({@link #settle})
     */
    public CheckIns(Jdbi jdbi, DataSource dataSource, Clock clock, Duration pollInterval,
                    AssignmentSource assignments, Caching caching, int cacheDevices, Duration cacheLease) {
        this(jdbi, dataSource, clock, pollInterval, assignments,
                caching == Caching.NONE ? null : new IdleCache(cacheDevices), caching, cacheLease);
    }

    private CheckIns(Jdbi jdbi, DataSource dataSource, Clock clock, Duration pollInterval,
                     AssignmentSource assignments, IdleCache cache, Caching caching, Duration cacheLease) {
        this(jdbi, dataSource, clock, pollInterval, assignments, cache, switch (caching) {
            case NONE -> null;
            case POSTGRESQL -> ChangeFeed.start(dataSource, cache, cacheLease);
            case EMBEDDED_H2 -> H2ChangeFeed.start(dataSource, cache);
        });
    }

    /** With a given cache and feed (both or neither), for tests that drive the feed themselves. */
    CheckIns(Jdbi jdbi, DataSource dataSource, Clock clock, Duration pollInterval, AssignmentSource assignments,
             IdleCache cache, CacheFeed feed) {
        this.jdbi = jdbi;
        this.cache = cache;
        this.feed = feed;
        this.dataSource = dataSource;
        this.lastSeen = new LastSeen(jdbi);
        this.assignments = assignments;
        this.clock = clock;
        this.pollInterval = pollInterval;
    }

    /**
     * The device holding this device token, exactly as {@link DeviceAuth#authenticate} decides it (an
     * unexpired session of an active device: a revoked token or a decommissioned device is refused at once,
     * on every server instance), together with its idle check-in state, in one database round trip or none.
     * None when the {@link IdleCache} has {@code deviceId} (the device named in the path) for this token and
     * its {@link CacheFeed} is current; what a cached caller may do is limited, see {@link #checkIn}.
     */
    public Optional<Caller> authenticate(String secret, String deviceId) {
        if (!secret.startsWith(DeviceAuth.TOKEN_PREFIX)) {
            return Optional.empty();
        }
        long started = System.nanoTime();
        String hash = Secrets.hash(secret);
        if (cache != null && feed.current()) {
            IdleCache.Entry e = cache.get(deviceId);
            if (e != null && e.tokenHash().equals(hash) && e.sessionExpiresAt() > clock.millis()) {
                return Optional.of(new Caller(deviceId, e.manifestHash(), e.assignment(), started, hash, true));
            }
        }
        return lookup(hash, started);
    }

    /** The database lookup of {@link #authenticate}; fills the cache. */
    private Optional<Caller> lookup(String hash, long started) {
        long stamp = cache == null ? 0 : cache.stamp();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(CALLER_QUERY)) {
            ps.setString(1, hash);
            ps.setLong(2, clock.millis());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String status = rs.getString(3);
                AssignmentSource.Stored assignment = status == null ? null
                        : new AssignmentSource.Stored(status, rs.getString(4), rs.getLong(5));
                Caller caller = new Caller(rs.getString(1), rs.getString(2), assignment, started, hash, false);
                if (cache != null) {
                    cache.put(caller.deviceId(), new IdleCache.Entry(hash, rs.getLong(6), caller.manifestHash(),
                            assignment), stamp);
                }
                return Optional.of(caller);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("device token lookup failed", e);
        }
    }

    /**
     * Records a check-in of {@code caller} (from {@link #authenticate}) carrying the raw envelope bytes.
     * With {@code If-None-Match}, an idle device is answered from what {@link #authenticate} read, with no
     * further query ({@code lastSeenAt} is written behind, see {@link LastSeen}); otherwise (or when anything
     * changed) the full path runs in one transaction.
     *
     * @throws DomainError.Unauthenticated {@code unauthenticated} when {@code caller} came from the idle cache and
     *                                     its token is no longer valid
     * @throws DomainError                 as {@link Manifests#verify}; nothing is stored when it throws
     */
    public Result checkIn(Caller caller, byte[] envelope, Optional<String> ifNoneMatch) {
        String deviceId = caller.deviceId();
        String envelopeHash = Digests.sha256Hex(envelope);
        if (ifNoneMatch.isPresent()) {
            Optional<NotModified> idle = idle(caller, envelopeHash, ifNoneMatch.get());
            if (idle.isPresent()) {
                return idle.get();
            }
        }
        if (caller.cached() && lookup(caller.tokenHash(), caller.lookupStartNanos()).isEmpty()) {
            throw new DomainError.Unauthenticated("unauthenticated", "a valid device token is required");
        }
        Optional<AssignmentSource.Current> assignment = jdbi.inTransaction(h -> {
            Optional<String> stored = h.createQuery("SELECT envelope_hash FROM device_manifests WHERE device_id = :d")
                    .bind("d", deviceId).mapTo(String.class).findOne();
            if (stored.isEmpty() || !stored.get().equals(envelopeHash)) {
                storeManifest(h, deviceId, envelope, envelopeHash, stored.isPresent());
            }
            store.touch(h, deviceId, clock.millis());
            return assignments.current(h, deviceId);
        });
        changed(deviceId);
        String etag = etag(envelopeHash, assignment.map(AssignmentSource.Current::hash).orElse(NO_ASSIGNMENT));
        if (ifNoneMatch.filter(etag::equals).isPresent()) {
            return new NotModified(etag);
        }
        return new Answer(etag, new Response(assignment.map(a -> DeviceStore.parse(a.envelopeJson())).orElse(null),
                jittered()));
    }

    private static String etag(String envelopeHash, String assignmentState) {
        return "\"" + Digests.sha256Hex((envelopeHash + ":" + assignmentState).getBytes()).substring(0, 32) + "\"";
    }

    /**
     * The idle fast path: when these manifest bytes are the stored ones and the assignment is unchanged
     * (and needs no re-signing), the device already has the answer. Decided from the row
     * {@link #authenticate} read, no query; the {@code lastSeenAt} update goes to {@link LastSeen}. Empty
     * when the full path must run.
     */
    private Optional<NotModified> idle(Caller caller, String envelopeHash, String ifNoneMatch) {
        if (!envelopeHash.equals(caller.manifestHash())) {
            return Optional.empty();
        }
        Optional<String> state = assignments.stateIfFresh(caller.assignment());
        if (state.isEmpty()) {
            return Optional.empty();
        }
        String etag = etag(envelopeHash, state.get().isEmpty() ? NO_ASSIGNMENT : state.get());
        if (!etag.equals(ifNoneMatch)) {
            return Optional.empty();
        }
        lastSeen.record(caller.deviceId(), clock.millis());
        return Optional.of(new NotModified(etag));
    }

    /**
     * Drops this server's cached state of {@code deviceId} after a write of its own that may have changed it
     * (other servers learn of it from their {@link CacheFeed}).
     */
    public void changed(String deviceId) {
        if (cache != null) {
            cache.invalidate(deviceId);
        }
    }

    /**
     * Returns once every server answers check-ins from what is committed now (on PostgreSQL waits one {@link ChangeFeed}
     * lease when there is a cache; at once otherwise). For writes an operator expects to take effect at once
     * everywhere: decommissioning, deployments, tags and groups.
     */
    @Override
    public void settle() {
        if (feed != null) {
            feed.settle();
        }
    }

    /** Stops the {@link CacheFeed}, if any; the cache stops answering. */
    public void close() {
        if (feed != null) {
            feed.close();
        }
    }

    /** Devices in the idle cache (0 without one). */
    public int cachedDevices() {
        return cache == null ? 0 : cache.size();
    }

    /**
     * Writes the pending {@code lastSeenAt} times of idle check-ins (the server calls it every second, before
     * operator reads of devices, and on stop).
     */
    @Override
    public int flushLastSeen() {
        return lastSeen.flush();
    }

    /** When a device counts as online, by this server's poll interval and clock. */
    public Presence presence() {
        return new Presence(clock, pollInterval);
    }

    /** The latest verified manifest of a device, if it ever checked in. */
    public Optional<JsonNode> latestManifest(String deviceId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT manifest_json FROM device_manifests WHERE device_id = :d")
                .bind("d", deviceId).mapTo(String.class).findOne()).map(DeviceStore::parse);
    }

    private void storeManifest(Handle h, String deviceId, byte[] envelope, String envelopeHash, boolean exists) {
        Device device = store.find(h, deviceId).orElseThrow(() -> new DomainError.NotFound("device"));
        ObjectNode signed = Manifests.verify(CanonicalJson.parseObject(envelope), deviceId,
                Key.fromJson(device.publicKey()));
        DeviceStore.storeManifest(h, deviceId, envelopeHash, signed, clock.millis(), exists);
        assignments.manifestStored(h, deviceId, signed);
    }

    private long jittered() {
        long base = pollInterval.toSeconds();
        return base + ThreadLocalRandom.current().nextLong(base / 5 + 1);
    }
}
