package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The idle check-in cache: idle check-ins are answered without a database lookup; on one server (H2 or
 * PostgreSQL) every write takes effect at the next check-in, and on PostgreSQL every change made on one
 * server (deployments, groups, decommissioning) is seen by the other at once (operator writes settle).
 */
class CachedCheckInTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private static long lookups(TestServer s, String source) {
        return metric(s, "flotilla_checkin_lookups_total{source=\"" + source + "\"");
    }

    /** The gauge of devices in {@code s}'s idle cache. */
    private static long cachedDevices(TestServer s) {
        return metric(s, "flotilla_checkin_cache_devices ");
    }

    /** The value of the first series on {@code s}'s {@code /metrics} whose line starts with {@code series}. */
    private static long metric(TestServer s, String series) {
        for (String line : s.http.get("/metrics", null).text().split("\n")) {
            if (line.startsWith(series)) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + series.strip() + " on /metrics");
    }

    /** An idle check-in of {@code d} on {@code s}: its status, and whether the cache answered the lookup. */
    private record Idle(int status, boolean fromCache) {
    }

    private static Idle idle(TestServer s, TestDevice d, ObjectNode envelope, String etag) {
        long before = lookups(s, "cache");
        int status = d.checkIn(s.http, envelope, etag).status();
        return new Idle(status, lookups(s, "cache") == before + 1);
    }

    /**
     * Waits until the servers' feeds have read the device's own latest write (which drops the entry that a
     * check-in right after the write may have filled): one settle time.
     */
    private static void feedsCaughtUp() {
        try {
            Thread.sleep(TestServer.CACHE_LEASE.toMillis());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Uploads a root and publishes {@code fw-2.bin} for {@code board-a} through {@code s}. */
    private void publishRelease(TestServer s) {
        OfflineRepo repo = new OfflineRepo();
        repo.trust(s.http, s.adminToken, clock.instant());
        byte[] image = "firmware 2".getBytes();
        assertThat(repo.publish(s.http, s.adminToken, "fw-2.bin", image, repo.addTarget("fw-2.bin", image, "2.0.0",
                "board-a", clock.instant()).sign(repo.targetsKey)).status()).isEqualTo(201);
    }

    /**
     * After the device's own latest write: waits for the feeds, lets one idle check-in on {@code s} fill its
     * cache and asserts that the next one is answered from it.
     */
    private static void cached(TestServer s, TestDevice d, ObjectNode envelope, String etag) {
        feedsCaughtUp();
        idle(s, d, envelope, etag);
        assertThat(idle(s, d, envelope, etag)).isEqualTo(new Idle(304, true));
    }

    @Test
    void everyChangeOnOneServerReachesTheOtherServersCache() {
        TestDatabase db = BothDatabases.postgres();
        TestServer a = TestServer.start(db, dir.resolve("a"), clock);
        open.add(a);
        TestServer b = TestServer.start(db, dir.resolve("b"), clock);
        open.add(b);
        publishRelease(a);

        TestDevice d = a.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.bin"));
        String etag = d.checkIn(b.http, envelope, null).header("ETag").orElseThrow();
        feedsCaughtUp();
        assertThat(idle(a, d, envelope, etag)).as("first idle check-in on A reads the database")
                .isEqualTo(new Idle(304, false));
        assertThat(idle(a, d, envelope, etag)).as("then A answers from its cache").isEqualTo(new Idle(304, true));
        assertThat(cachedDevices(a)).as("A holds the device").isEqualTo(1);
        assertThat(cachedDevices(b)).as("B has not seen an idle check-in yet").isZero();
        assertThat(idle(b, d, envelope, etag)).isEqualTo(new Idle(304, false));
        assertThat(idle(b, d, envelope, etag)).isEqualTo(new Idle(304, true));

        // a deployment made on B: A's next idle check-in gets it
        Http.Response dep = b.http.post("/api/v1/deployments", a.adminToken, Map.of("target", "fw-2.bin", "deviceId", d.id()));
        assertThat(dep.status()).as(dep.text()).isEqualTo(201);
        Http.Response assigned = d.checkIn(a.http, envelope, etag);
        assertThat(assigned.status()).isEqualTo(200);
        assertThat(assigned.json().path("assignment").path("signed").path("targetPath").asText()).isEqualTo("fw-2.bin");
        String assignedTag = assigned.header("ETag").orElseThrow();
        feedsCaughtUp();
        assertThat(idle(a, d, envelope, assignedTag).status()).isEqualTo(304);
        assertThat(idle(a, d, envelope, assignedTag)).isEqualTo(new Idle(304, true));
        assertThat(idle(b, d, envelope, assignedTag).status()).isEqualTo(304);
        assertThat(idle(b, d, envelope, assignedTag)).isEqualTo(new Idle(304, true));

        // another device joins a deployment's group on A: B's next idle check-in gets the assignment
        TestDevice e = a.device(KeyType.ED25519, "board-a");
        ObjectNode eEnvelope = e.envelope(e.manifest(e.id(), "fw-1.bin"));
        String eTag = e.checkIn(a.http, eEnvelope, null).header("ETag").orElseThrow();
        cached(b, e, eEnvelope, eTag);
        assertThat(b.http.post("/api/v1/deployments", a.adminToken, Map.of("target", "fw-2.bin", "group", "lab", "allowEmpty", true))
                .status()).isEqualTo(201);
        assertThat(a.http.send("PUT", "/api/v1/devices/" + e.id() + "/group", a.adminToken, Map.of("group", "lab"),
                Map.of()).status()).isEqualTo(200);
        Http.Response joined = e.checkIn(b.http, eEnvelope, eTag);
        assertThat(joined.status()).isEqualTo(200);
        assertThat(joined.json().path("assignment").path("signed").path("targetPath").asText()).isEqualTo("fw-2.bin");

        // decommissioned on B: refused on A at once, though A had the device cached
        String current = d.checkIn(a.http, envelope, null).header("ETag").orElseThrow();
        cached(a, d, envelope, current);
        assertThat(b.http.post("/api/v1/devices/" + d.id() + "/decommission", a.adminToken, Map.of()).status())
                .isEqualTo(200);
        assertThat(d.checkIn(a.http, envelope, current).status()).isEqualTo(401);
    }

    /** One server, on either database: each operator write takes effect at the device's next check-in. */
    @StoreTest
    void operatorWritesTakeEffectAtTheNextIdleCheckIn(TestDatabase db) {
        TestServer a = TestServer.start(db, dir.resolve("a"), clock);
        open.add(a);
        publishRelease(a);
        TestDevice d = a.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.bin"));
        String etag = d.checkIn(a.http, envelope, null).header("ETag").orElseThrow();
        cached(a, d, envelope, etag);

        assertThat(a.http.post("/api/v1/deployments", a.adminToken, Map.of("target", "fw-2.bin", "group", "lab", "allowEmpty", true))
                .status()).isEqualTo(201);
        assertThat(idle(a, d, envelope, etag)).as("not a member yet").isEqualTo(new Idle(304, true));
        assertThat(a.http.send("PUT", "/api/v1/devices/" + d.id() + "/group", a.adminToken, Map.of("group", "lab"),
                Map.of()).status()).isEqualTo(200);
        Http.Response joined = d.checkIn(a.http, envelope, etag);
        assertThat(joined.status()).isEqualTo(200);
        String assigned = joined.header("ETag").orElseThrow();
        cached(a, d, envelope, assigned);
        assertThat(a.http.post("/api/v1/devices/" + d.id() + "/decommission", a.adminToken, Map.of()).status())
                .isEqualTo(200);
        assertThat(d.checkIn(a.http, envelope, assigned).status()).isEqualTo(401);
    }

    @StoreTest
    void anExpiredTokenIsRefusedThoughItsDeviceIsCached(TestDatabase db) {
        TestServer a = TestServer.start(db, dir.resolve("a"), clock);
        open.add(a);
        TestDevice d = a.device(KeyType.ED25519, "board-a");
        ObjectNode envelope = d.envelope(d.manifest(d.id(), "fw-1.bin"));
        String etag = d.checkIn(a.http, envelope, null).header("ETag").orElseThrow();
        cached(a, d, envelope, etag);
        clock.advance(Duration.ofHours(25));
        assertThat(d.checkIn(a.http, envelope, etag).status()).isEqualTo(401);
    }

    /**
     * Within the feed's window (before it reads a change made by another server without settling), a cached
     * caller may be answered 304, but nothing else: any other check-in authenticates from the database first.
     */
    @Test
    void aCachedCallerIsAuthenticatedFromTheDatabaseBeforeAnythingIsWritten() throws Exception {
        Database database = Database.open(BothDatabases.postgres().jdbcUrl());
        open.add(database);
        String id = "dev_cached_1";
        byte[] envelope = "{\"signed\":{\"v\":1},\"signatures\":[]}".getBytes();
        BulkRegistration.register(database.jdbi(), List.of(new BulkRegistration.Entry(id,
                Key.of(KeyType.ED25519, KeyPairs.generate(KeyType.ED25519).getPublic()), "board-a", "fld_cached", envelope)),
                clock, Duration.ofHours(1));
        IdleCache cache = new IdleCache(10);
        ChangeFeed feed = ChangeFeed.unstarted(database.dataSource(), cache);
        open.add(feed);
        AssignmentSource none = new AssignmentSource() {
            @Override
            public Optional<Current> current(Handle h, String deviceId) {
                return Optional.empty();
            }

            @Override
            public Optional<String> stateIfFresh(Stored stored) {
                return Optional.of("");
            }
        };
        CheckIns checkIns = new CheckIns(database.jdbi(), database.dataSource(), clock, Duration.ofMinutes(5), none,
                cache, feed);
        feed.read(System.nanoTime());

        CheckIns.Caller first = checkIns.authenticate("fld_cached", id).orElseThrow();
        assertThat(first.cached()).isFalse();
        String etag = checkIns.checkIn(first, envelope, Optional.empty()).etag();
        assertThat(checkIns.checkIn(checkIns.authenticate("fld_cached", id).orElseThrow(), envelope, Optional.of(etag)))
                .isInstanceOf(CheckIns.NotModified.class);
        feed.read(System.nanoTime()); // a fresh lease (the feed does not read by itself here)
        CheckIns.Caller cached = checkIns.authenticate("fld_cached", id).orElseThrow();
        assertThat(cached.cached()).isTrue();
        assertThat(checkIns.authenticate("fld_cached", "dev_other")).as("the cache is keyed by the path's device")
                .get().extracting(CheckIns.Caller::cached).isEqualTo(false);

        feed.read(System.nanoTime());
        database.jdbi().useHandle(h -> h.execute("UPDATE devices SET status = 'decommissioned' WHERE id = ?", id));
        CheckIns.Caller stale = checkIns.authenticate("fld_cached", id).orElseThrow();
        assertThat(stale.cached()).as("the feed has not read the change yet").isTrue();
        byte[] other = "{\"signed\":{\"v\":2},\"signatures\":[]}".getBytes();
        assertThatThrownBy(() -> checkIns.checkIn(stale, other, Optional.of(etag)))
                .isInstanceOfSatisfying(DomainError.Unauthenticated.class, e -> assertThat(e.code()).isEqualTo("unauthenticated"));
        String stored = database.jdbi().withHandle(h -> h.createQuery(
                "SELECT envelope_hash FROM device_manifests WHERE device_id = :d").bind("d", id).mapTo(String.class).one());
        assertThat(stored).as("nothing written").isEqualTo(dev.flotilla.core.crypto.Digests.sha256Hex(envelope));

        feed.read(System.nanoTime());
        assertThat(checkIns.authenticate("fld_cached", id)).isEmpty();

        // settle returns only when the lease of every read made before it has run out
        feed.read(System.nanoTime());
        assertThat(feed.current()).isTrue();
        checkIns.settle();
        assertThat(feed.current()).as("a read that began before the settle no longer lets a cache answer").isFalse();
    }
}
