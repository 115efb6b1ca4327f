package dev.flotilla.server.store;

import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The consistency rules on a real database: a settled write of several transactions settles once, after its last
 * commit, and not when it throws; a current read sees what the flush wrote; unbound, both just run. H2 and
 * PostgreSQL.
 */
class ConsistencyTest {
    /** The check-in state of a test: settling records the rows committed then; flushing writes one row. */
    private static final class Recorded implements Consistency.CheckInState {
        final List<Integer> settledAt = new CopyOnWriteArrayList<>();
        private final Jdbi jdbi;
        private final AtomicInteger flushed = new AtomicInteger(100);

        Recorded(Jdbi jdbi) {
            this.jdbi = jdbi;
        }

        @Override
        public void settle() {
            settledAt.add(rows(jdbi));
        }

        @Override
        public int flushLastSeen() {
            jdbi.useHandle(h -> h.execute("INSERT INTO scratch (id) VALUES (" + flushed.incrementAndGet() + ")"));
            return 1;
        }
    }

    private static int rows(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM scratch").mapTo(Integer.class).one());
    }

    @StoreTest
    void aSettledWriteSettlesOnceAfterItsLastCommitAndNotWhenItThrows(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            jdbi.useHandle(h -> h.execute("CREATE TABLE scratch (id INT PRIMARY KEY)"));
            Consistency consistency = new Consistency();
            Recorded checkIns = new Recorded(jdbi);
            consistency.bind(checkIns);
            AtomicInteger next = new AtomicInteger();

            String value = consistency.settled(() -> {
                for (int i = 0; i < 3; i++) { // a write of several transactions, as a rollout's signing in batches
                    jdbi.useTransaction(h -> h.execute("INSERT INTO scratch (id) VALUES (" + next.incrementAndGet() + ")"));
                }
                assertThat(checkIns.settledAt).isEmpty();
                return "done";
            });

            assertThat(value).isEqualTo("done");
            assertThat(checkIns.settledAt).containsExactly(3);
            assertThatThrownBy(() -> consistency.settled(() -> {
                throw new IllegalArgumentException("refused");
            })).hasMessage("refused");
            assertThat(checkIns.settledAt).hasSize(1);
        }
    }

    @StoreTest
    void aCurrentReadSeesWhatTheFlushWroteAndUnboundBothJustRun(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            jdbi.useHandle(h -> h.execute("CREATE TABLE scratch (id INT PRIMARY KEY)"));
            Consistency consistency = new Consistency();
            assertThat(consistency.current(() -> rows(jdbi))).as("unbound: nothing flushed").isZero();
            assertThat(consistency.settled(() -> "written")).isEqualTo("written");

            consistency.bind(new Recorded(jdbi));

            assertThat(consistency.current(() -> rows(jdbi))).isEqualTo(1);
        }
    }
}
