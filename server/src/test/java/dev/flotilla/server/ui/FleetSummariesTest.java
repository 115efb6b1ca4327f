package dev.flotilla.server.ui;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.devices.CheckIns;
import dev.flotilla.server.devices.FleetOverview;
import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.store.Consistency;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestServer;
import dev.flotilla.server.trust.TufStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fleet summary is shared and served stale while it is taken again: concurrent first overviews cause one
 * scan of the fleet, after one write of the pending last-seen times; once a summary exists no request waits for a scan, and one that finds it older than
 * {@link FleetPages#FRESH} starts one scan in the background (never two at once); an operator's decommission is
 * seen at once. The time the sharing reads is a counter the test moves, and the background is a queue the test
 * runs, so nothing here depends on how fast the machine is.
 */
class FleetSummariesTest {
    private static final int CALLERS = 8;
    @TempDir
    Path dir;

    @StoreTest
    void concurrentFirstOverviewsShareOneScan(TestDatabase db) throws Exception {
        try (TestServer srv = TestServer.start(db, dir, new MutableClock())) {
            srv.device(KeyType.ED25519, "board-a");
            AtomicInteger flushes = new AtomicInteger();
            FleetOverview fleet = overview(srv, flushes);
            Queue background = new Queue();
            Revalidated<FleetOverview.Summary> shared = FleetPages.summaries(fleet, Clock.systemUTC(), () -> 1_000L,
                    background);
            long before = fleet.summariesTaken();

            List<FleetOverview.Summary> seen = concurrently(() -> shared.get().value());
            assertThat(fleet.summariesTaken() - before).isEqualTo(1);
            assertThat(flushes).hasValue(1);
            assertThat(seen).hasSize(CALLERS).allSatisfy(s -> assertThat(s).isSameAs(seen.getFirst()));
            assertThat(seen.getFirst().active()).isEqualTo(1);
            assertThat(background.tasks).isEmpty();
        }
    }

    @StoreTest
    void anOldSummaryIsServedAtOnceWhileOneScanTakesItAgainInTheBackground(TestDatabase db) throws Exception {
        MutableClock clock = new MutableClock();
        try (TestServer srv = TestServer.start(db, dir, clock)) {
            srv.device(KeyType.ED25519, "board-a");
            FleetOverview fleet = srv.server.fleet();
            AtomicLong now = new AtomicLong(1_000);
            Queue background = new Queue();
            Revalidated<FleetOverview.Summary> shared = FleetPages.summaries(fleet, clock, now::get, background);
            long before = fleet.summariesTaken();
            Instant first = clock.instant();
            assertThat(shared.get().value().active()).isEqualTo(1);

            srv.device(KeyType.ED25519, "board-a");
            clock.advance(Duration.ofSeconds(5));
            now.addAndGet(FleetPages.FRESH.toNanos() - 1);
            assertThat(shared.get().value().active()).isEqualTo(1); // younger than FRESH: no scan
            assertThat(background.tasks).isEmpty();
            now.addAndGet(1);
            for (int i = 0; i < 5; i++) { // as old as FRESH: the old one at once, and one scan started
                Revalidated.Taken<FleetOverview.Summary> old = shared.get();
                assertThat(old.value().active()).isEqualTo(1);
                assertThat(old.at()).isEqualTo(first);
            }
            assertThat(background.tasks).hasSize(1);
            assertThat(fleet.summariesTaken() - before).isEqualTo(1);

            background.runAll();
            assertThat(fleet.summariesTaken() - before).isEqualTo(2);
            Revalidated.Taken<FleetOverview.Summary> fresh = shared.get();
            assertThat(fresh.value().active()).isEqualTo(2);
            assertThat(fresh.at()).isEqualTo(first.plusSeconds(5));
            assertThat(background.tasks).isEmpty(); // fresh again: nothing started
        }
    }

    @StoreTest
    void theOverviewSaysWhenItsCountsAreFromAndShowsAnOperatorsDecommissionAtOnce(TestDatabase db)
            throws Exception {
        MutableClock clock = new MutableClock();
        try (TestServer srv = TestServer.start(db, dir, clock);
             Browser b = new Browser(srv.server.uri())) {
            String device = srv.device(KeyType.ED25519, "board-a").id();
            b.signIn(srv.adminToken);
            String overview = b.get("/ui").body();
            assertThat(overview).contains("id=\"count-active\">1<").contains("id=\"as-of\">As of <time datetime=\""
                    + clock.instant() + "\">" + FleetPages.TIME_OF_DAY.format(clock.instant()) + " UTC</time>");
            String csrf = b.csrf("/ui/devices/" + device);
            assertThat(b.post("/ui/devices/" + device + "/decommission", Map.of("_csrf", csrf)).statusCode())
                    .isEqualTo(303);
            String after = b.get("/ui").body(); // the operator's own change is not hidden by the shared summary
            assertThat(after).contains("id=\"count-active\">0<");
        }
    }

    @Test
    void aScanStartedBeforeAForgetIsNotShown() {
        AtomicInteger takes = new AtomicInteger();
        AtomicLong now = new AtomicLong();
        Queue background = new Queue();
        Revalidated<Integer> shared = new Revalidated<>("count", Duration.ofSeconds(2), takes::incrementAndGet,
                Clock.systemUTC(), now::get, background);
        assertThat(shared.get().value()).isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(shared.get().value()).isEqualTo(1);
        shared.forget(); // an operator acted while the scan was under way
        background.runAll(); // takes 2, which predates the operator's change
        assertThat(shared.get().value()).isEqualTo(3); // waited for a new one
        assertThat(takes).hasValue(3);
    }

    @Test
    void aFailedBackgroundScanKeepsTheLastValueAndTheNextCallerStartsAnother() {
        AtomicInteger takes = new AtomicInteger();
        AtomicLong now = new AtomicLong();
        Queue background = new Queue();
        Revalidated<Integer> shared = new Revalidated<>("count", Duration.ofSeconds(2), () -> {
            if (takes.incrementAndGet() == 2) {
                throw new IllegalStateException("database down");
            }
            return takes.get();
        }, Clock.systemUTC(), now::get, background);
        assertThat(shared.get().value()).isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(shared.get().value()).isEqualTo(1);
        background.runAll(); // fails: logged, nothing changed
        assertThat(takes).hasValue(2);
        assertThat(shared.get().value()).isEqualTo(1); // still the last one, and another scan started
        assertThat(background.tasks).hasSize(1);
        background.runAll();
        assertThat(shared.get().value()).isEqualTo(3);
    }

    @Test
    void aFailedFirstTakeReachesTheCallerKeepsNothingAndTheNextCallTakesAgain() {
        AtomicInteger takes = new AtomicInteger();
        Revalidated<Integer> shared = new Revalidated<>("count", Duration.ofSeconds(2), () -> {
            if (takes.incrementAndGet() == 1) {
                throw new IllegalStateException("database down");
            }
            return takes.get();
        }, Clock.systemUTC(), () -> 0L, new Queue());
        assertThatThrownBy(shared::get).hasMessage("database down");
        assertThat(shared.get().value()).isEqualTo(2);
        assertThat(shared.get().value()).isEqualTo(2);
        assertThat(takes).hasValue(2);
    }

    @Test
    void afterCloseNoScanStartsAndTheLastValueIsStillServed() {
        AtomicInteger takes = new AtomicInteger();
        AtomicLong now = new AtomicLong();
        Queue background = new Queue();
        Revalidated<Integer> shared = new Revalidated<>("count", Duration.ofSeconds(2), takes::incrementAndGet,
                Clock.systemUTC(), now::get, background);
        assertThat(shared.get().value()).isEqualTo(1);
        shared.close();
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(shared.get().value()).isEqualTo(1);
        assertThat(background.tasks).isEmpty();
    }

    @Test
    void snapshotsAFailedTakeKeepsNothingAndTheNextCallTakesAgain() {
        AtomicInteger takes = new AtomicInteger();
        Snapshots<String, Integer> shared = new Snapshots<>(Duration.ofMinutes(5), (k, previous) -> {
            if (takes.incrementAndGet() == 1) {
                throw new IllegalStateException("database down");
            }
            return previous == null ? 1 : previous + 1;
        }, () -> 0L);
        assertThatThrownBy(() -> shared.get("k", Duration.ofSeconds(2))).hasMessage("database down");
        assertThat(shared.get("k", Duration.ofSeconds(2))).isEqualTo(1);
        assertThat(shared.get("k", Duration.ofSeconds(2))).isEqualTo(1);
        assertThat(shared.get("k", Duration.ZERO)).isEqualTo(2); // no age accepted: taken again, from the previous
        assertThat(takes).hasValue(3);
    }

    /**
     * The server's fleet overview, but with a {@link Consistency} that counts its writes of the pending last-seen
     * times in {@code flushes} (and makes them on the server's check-ins).
     */
    private static FleetOverview overview(TestServer srv, AtomicInteger flushes) {
        CheckIns checkIns = srv.server.checkIns();
        Consistency consistency = new Consistency();
        consistency.bind(new Consistency.CheckInState() {
            @Override
            public void settle() {
                checkIns.settle();
            }

            @Override
            public int flushLastSeen() {
                flushes.incrementAndGet();
                return checkIns.flushLastSeen();
            }
        });
        TufStore tuf = new TufStore();
        return new FleetOverview(srv.server.jdbi(), tuf, new ReleaseDetails(srv.server.jdbi(), tuf), checkIns.presence(),
                consistency);
    }

    /** A background the test runs when it chooses: the tasks handed to it, in order. */
    private static final class Queue implements Executor {
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public synchronized void execute(Runnable task) {
            tasks.add(task);
        }

        synchronized void runAll() {
            List<Runnable> now = new ArrayList<>(tasks);
            tasks.clear();
            now.forEach(Runnable::run);
        }
    }

    /** Runs {@code call} on {@link #CALLERS} threads released at the same moment; their answers. */
    private static <T> List<T> concurrently(java.util.concurrent.Callable<T> call) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
