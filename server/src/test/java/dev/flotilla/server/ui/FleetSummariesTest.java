package dev.flotilla.server.ui;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.devices.FleetOverview;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fleet summary is shared: concurrent overviews cause one scan of the fleet, later ones reuse it until it
 * is older than {@link FleetPages#FRESH}, and an operator's decommission is seen at once. The time the
 * sharing reads is a counter the test moves, so nothing here depends on how fast the machine is.
 */
class FleetSummariesTest {
    private static final int CALLERS = 8;
    @TempDir
    Path dir;

    @StoreTest
    void concurrentOverviewsShareOneScanUntilItIsOlderThanFresh(TestDatabase db) throws Exception {
        try (TestServer srv = TestServer.start(db, dir, new MutableClock())) {
            srv.device(KeyType.ED25519, "board-a");
            FleetOverview fleet = srv.server.fleet();
            AtomicLong now = new AtomicLong(1_000);
            AtomicInteger flushes = new AtomicInteger();
            Snapshots<String, FleetOverview.Summary> shared =
                    FleetPages.summaries(fleet, flushes::incrementAndGet, now::get);
            long before = fleet.summariesTaken();

            List<FleetOverview.Summary> seen = concurrently(() -> shared.get("fleet", FleetPages.FRESH));
            assertThat(fleet.summariesTaken() - before).isEqualTo(1);
            assertThat(flushes).hasValue(1);
            assertThat(seen).hasSize(CALLERS).allSatisfy(s -> assertThat(s).isSameAs(seen.getFirst()));
            assertThat(seen.getFirst().active()).isEqualTo(1);

            srv.device(KeyType.ED25519, "board-a");
            now.addAndGet(FleetPages.FRESH.toNanos() - 1);
            assertThat(shared.get("fleet", FleetPages.FRESH).active()).isEqualTo(1); // still the shared one
            assertThat(fleet.summariesTaken() - before).isEqualTo(1);
            now.addAndGet(1);
            assertThat(shared.get("fleet", FleetPages.FRESH).active()).isEqualTo(2); // as old as FRESH: taken again
            assertThat(fleet.summariesTaken() - before).isEqualTo(2);
            shared.forget("fleet");
            assertThat(shared.get("fleet", FleetPages.FRESH).active()).isEqualTo(2);
            assertThat(fleet.summariesTaken() - before).isEqualTo(3);
        }
    }

    @StoreTest
    void theOverviewShowsAnOperatorsDecommissionAtOnce(TestDatabase db) throws Exception {
        try (TestServer srv = TestServer.start(db, dir, new MutableClock());
             Browser b = new Browser(srv.server.uri())) {
            String device = srv.device(KeyType.ED25519, "board-a").id();
            b.signIn(srv.adminToken);
            assertThat(b.get("/ui").body()).contains("id=\"count-active\">1<");
            String csrf = b.csrf("/ui/devices/" + device);
            assertThat(b.post("/ui/devices/" + device + "/decommission", Map.of("_csrf", csrf)).statusCode())
                    .isEqualTo(303);
            String after = b.get("/ui").body(); // the operator's own change is not hidden by the shared summary
            assertThat(after).contains("id=\"count-active\">0<");
        }
    }

    @Test
    void aFailedTakeKeepsNothingAndTheNextCallTakesAgain() {
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
