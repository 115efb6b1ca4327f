package dev.flotilla.server.devices;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Device event retention on a real server, over real HTTP, on H2 and PostgreSQL, with a clock the tests move:
 * what is deleted and what is kept, the batches, the lease that lets one server of several run a pass, and
 * the metric.
 */
class EventRetentionTest {
    private static final Duration RETENTION = Duration.ofDays(90);
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private TestServer srv;
    private int sent;

    @AfterEach
    void stop() {
        if (srv != null) {
            srv.close();
        }
    }

    /** Sends {@code n} new events of {@code d}; returns their ids. */
    private List<String> send(TestDevice d, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("ev-" + ++sent);
        }
        Map<String, Object> batch = Map.of("events", ids.stream()
                .map(id -> Map.of("eventId", id, "type", "download_progress")).toList());
        Http.Response r = srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);
        if (r.status() == 401) { // the token expired while the clock moved on
            assertThat(d.login(srv.http).status()).isEqualTo(200);
            r = srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);
        }
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().path("accepted").asInt()).isEqualTo(n);
        return ids;
    }

    /** The ids of the device's stored events, oldest first. */
    private List<String> stored(TestDevice d) {
        Http.Response r = srv.http.get("/api/v1/devices/" + d.id() + "/events?limit=500", srv.adminToken);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        r.json().path("items").forEach(e -> ids.add(e.path("eventId").asText()));
        return ids;
    }

    private EventRetention retention(String kind, int batch, int maxBatches, AtomicLong deleted) {
        return new EventRetention(jdbi(), kind.equals("postgresql"), clock, RETENTION, batch, maxBatches,
                deleted::addAndGet);
    }

    private Jdbi jdbi() {
        return srv.server.jdbi();
    }

    private long auditEntries() {
        return jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM audit_log").mapTo(Long.class).one());
    }

    @StoreTest
    void eventsOlderThanTheRetentionGoAndTheOthersAndTheAuditLogStay(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice a = srv.device(KeyType.ED25519, "board-a");
        TestDevice b = srv.device(KeyType.ED25519, "board-a");
        send(a, 3);
        send(b, 2);
        clock.advance(Duration.ofDays(30));
        List<String> boundary = send(a, 1); // exactly as old as the retention when the pass runs: kept
        clock.advance(Duration.ofDays(29));
        List<String> recentA = send(a, 2);
        List<String> recentB = send(b, 1);
        clock.advance(Duration.ofDays(61));
        long audit = auditEntries();

        EventRetention.Pass pass = srv.server.eventRetention().run();

        assertThat(pass).isEqualTo(new EventRetention.Pass(true, 5, 1));
        List<String> keptA = new ArrayList<>(boundary);
        keptA.addAll(recentA);
        assertThat(stored(a)).containsExactlyElementsOf(keptA);
        assertThat(stored(b)).containsExactlyElementsOf(recentB);
        assertThat(auditEntries()).as("the audit log is never deleted").isEqualTo(audit);
        String scrape = srv.http.get("/metrics", null).text();
        assertThat(scrape).contains("# TYPE flotilla_events_deleted_total counter")
                .contains("flotilla_events_deleted_total 5.0");
        assertThat(srv.server.eventRetention().run()).as("nothing more is old enough")
                .isEqualTo(new EventRetention.Pass(true, 0, 0));
    }

    @StoreTest
    void aPassDeletesInBatchesOfItsSizeAndStopsAfterItsBatchLimit(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        send(d, 7);
        clock.advance(Duration.ofDays(91));
        List<String> recent = send(d, 2);
        AtomicLong deleted = new AtomicLong();
        List<Long> batches = new ArrayList<>();
        EventRetention job = new EventRetention(jdbi(), db.kind().equals("postgresql"), clock, RETENTION, 2, 2,
                n -> {
                    batches.add(n);
                    deleted.addAndGet(n);
                });

        assertThat(job.run()).isEqualTo(new EventRetention.Pass(true, 4, 2));
        assertThat(job.run()).isEqualTo(new EventRetention.Pass(true, 3, 2));
        assertThat(job.run()).isEqualTo(new EventRetention.Pass(true, 0, 0));

        assertThat(batches).containsExactly(2L, 2L, 2L, 1L);
        assertThat(deleted).hasValue(7);
        assertThat(stored(d)).containsExactlyElementsOf(recent);
    }

    @StoreTest
    void aSecondServerSkipsItsPassWhileTheFirstHoldsTheLease(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        send(d, 5);
        clock.advance(Duration.ofDays(91));
        AtomicLong deletedBySecond = new AtomicLong();
        EventRetention second = retention(db.kind(), 2, 100, deletedBySecond);
        List<EventRetention.Pass> secondsPasses = new ArrayList<>();
        AtomicLong deletedByFirst = new AtomicLong();
        EventRetention first = new EventRetention(jdbi(), db.kind().equals("postgresql"), clock, RETENTION, 2, 100,
                n -> {
                    deletedByFirst.addAndGet(n);
                    secondsPasses.add(second.run()); // between two batches of the first server's pass
                });

        assertThat(first.run()).isEqualTo(new EventRetention.Pass(true, 5, 3));

        assertThat(secondsPasses).hasSize(3).allSatisfy(p -> assertThat(p).isEqualTo(new EventRetention.Pass(false, 0, 0)));
        assertThat(deletedByFirst).hasValue(5);
        assertThat(deletedBySecond).hasValue(0);
        assertThat(second.run()).as("the first released the lease at the end of its pass")
                .isEqualTo(new EventRetention.Pass(true, 0, 0));
    }

    @StoreTest
    void theLeaseOfAServerThatDiedMidPassExpires(TestDatabase db) {
        srv = TestServer.start(db, dir, clock);
        TestDevice d = srv.device(KeyType.ED25519, "board-a");
        send(d, 3);
        clock.advance(Duration.ofDays(91));
        jdbi().useHandle(h -> h.createUpdate("UPDATE event_retention_lease SET holder = 'gone', lease_until = :t")
                .bind("t", clock.millis() + EventRetention.LEASE.toMillis()).execute());
        EventRetention job = retention(db.kind(), 100, 100, new AtomicLong());

        assertThat(job.run()).isEqualTo(new EventRetention.Pass(false, 0, 0));
        clock.advance(EventRetention.LEASE.minusMillis(1));
        assertThat(job.run()).isEqualTo(new EventRetention.Pass(false, 0, 0));
        clock.advance(Duration.ofMillis(1));
        assertThat(job.run()).isEqualTo(new EventRetention.Pass(true, 3, 1));
        assertThat(stored(d)).isEmpty();
    }

    @StoreTest
    void jobsRunningPassesAtTheSameTimeDeleteEveryEventOnceAndNoneFails(TestDatabase db) throws Exception {
        srv = TestServer.start(db, dir, clock);
        List<TestDevice> devices = IntStream.range(0, 4).mapToObj(i -> srv.device(KeyType.ED25519, "board-a")).toList();
        for (TestDevice d : devices) {
            for (int i = 0; i < 5; i++) {
                send(d, 20);
            }
        }
        clock.advance(Duration.ofDays(91));
        TestDevice fresh = devices.getFirst();
        List<String> recent = send(fresh, 3);
        AtomicLong deleted = new AtomicLong();
        List<EventRetention> servers = IntStream.range(0, 3).mapToObj(i -> retention(db.kind(), 7, 2, deleted)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(servers.size());
        try {
            List<Callable<Long>> tasks = servers.stream().<Callable<Long>>map(s -> () -> {
                long mine = 0;
                // passes that found the lease held return at once and do not count: on a loaded machine the
                // holder can be slow enough for the others to spin through any fixed number of rounds
                for (int ran = 0; ran < 200 && deleted.get() < 400; ) {
                    EventRetention.Pass pass = s.run();
                    mine += pass.deleted();
                    if (pass.ran()) {
                        ran++;
                    } else {
                        Thread.yield();
                    }
                }
                return mine;
            }).toList();
            long sum = 0;
            for (Future<Long> f : pool.invokeAll(tasks)) {
                sum += f.get(); // rethrows what a pass threw
            }
            assertThat(sum).isEqualTo(400);
        } finally {
            pool.shutdownNow();
        }
        assertThat(deleted).hasValue(400);
        assertThat(stored(fresh)).containsExactlyElementsOf(recent);
        for (TestDevice d : devices.subList(1, devices.size())) {
            assertThat(stored(d)).isEmpty();
        }
    }

    @Test
    void twoServersOnOnePostgresDatabaseShareTheWorkAndTheirCountersAddUp(@TempDir Path other) throws Exception {
        TestDatabase db = BothDatabases.postgres();
        srv = TestServer.start(db, dir, clock);
        try (TestServer second = TestServer.start(db, other, clock)) {
            TestDevice d = srv.device(KeyType.ED25519, "board-a");
            for (int i = 0; i < 3; i++) {
                send(d, 100);
            }
            clock.advance(Duration.ofDays(91));
            List<String> recent = send(d, 2);
            List<EventRetention> jobs = List.of(srv.server.eventRetention(), second.server.eventRetention());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            long sum = 0;
            try {
                List<Callable<Long>> tasks = jobs.stream().<Callable<Long>>map(job -> () -> {
                    long mine = 0;
                    for (int i = 0; i < 20; i++) {
                        mine += job.run().deleted();
                    }
                    return mine;
                }).toList();
                for (Future<Long> f : pool.invokeAll(tasks)) {
                    sum += f.get(); // rethrows what a pass threw
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(sum).isEqualTo(300);
            assertThat(deletedMetric(srv) + deletedMetric(second)).isEqualTo(300);
            assertThat(stored(d)).containsExactlyElementsOf(recent);
        }
    }

    /** The server's {@code flotilla_events_deleted_total}. */
    private static long deletedMetric(TestServer s) {
        String scrape = s.http.get("/metrics", null).text();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("flotilla_events_deleted_total ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no flotilla_events_deleted_total in " + scrape);
    }
}
