package dev.flotilla.server.store;

import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The after-commit mechanism on a real database: actions run once their transaction committed, in order, see
 * what it wrote from another connection, never run after a rollback, wait for the outermost of nested
 * transactions; a failing action is logged and the commit stands. H2 and PostgreSQL.
 */
class AfterCommitTest {
    private static void table(Jdbi jdbi) {
        jdbi.useHandle(h -> h.execute("CREATE TABLE scratch (id INT PRIMARY KEY)"));
    }

    private static int rows(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM scratch").mapTo(Integer.class).one());
    }

    @StoreTest
    void actionsRunInOrderOnceTheTransactionCommittedAndSeeItsWritesFromAnotherConnection(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            table(jdbi);
            List<String> ran = new CopyOnWriteArrayList<>();
            jdbi.useTransaction(h -> {
                h.execute("INSERT INTO scratch (id) VALUES (1)");
                AfterCommit.run(h, () -> ran.add("first saw " + rows(jdbi)));
                AfterCommit.run(h, () -> ran.add("second"));
                assertThat(ran).as("nothing runs before the commit").isEmpty();
            });
            assertThat(ran).containsExactly("first saw 1", "second");
        }
    }

    @StoreTest
    void aTransactionThatRollsBackRunsNoneOfItsActions(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            table(jdbi);
            List<String> ran = new CopyOnWriteArrayList<>();
            assertThatThrownBy(() -> jdbi.useTransaction(h -> {
                h.execute("INSERT INTO scratch (id) VALUES (1)");
                AfterCommit.run(h, () -> ran.add("after the insert"));
                h.execute("INSERT INTO scratch (id) VALUES (1)"); // duplicate key: the transaction fails
            })).isInstanceOf(RuntimeException.class);
            assertThat(ran).isEmpty();
            assertThat(rows(jdbi)).isZero();
            jdbi.useTransaction(h -> h.execute("INSERT INTO scratch (id) VALUES (2)"));
            assertThat(ran).as("a later commit on a pooled connection runs nothing left behind").isEmpty();
        }
    }

    @StoreTest
    void anActionOfANestedTransactionWaitsForTheOutermostCommit(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            table(jdbi);
            List<Integer> ran = new CopyOnWriteArrayList<>();
            jdbi.useTransaction(h -> {
                h.useTransaction(inner -> {
                    inner.execute("INSERT INTO scratch (id) VALUES (1)");
                    AfterCommit.run(inner, () -> ran.add(rows(jdbi)));
                });
                assertThat(ran).as("the inner transaction is part of the outer one").isEmpty();
                h.execute("INSERT INTO scratch (id) VALUES (2)");
            });
            assertThat(ran).containsExactly(2);
        }
    }

    @StoreTest
    void aFailingActionIsLoggedTheCommitStandsAndLaterActionsStillRun(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = database.jdbi();
            table(jdbi);
            List<String> ran = new CopyOnWriteArrayList<>();
            int value = jdbi.inTransaction(h -> {
                h.execute("INSERT INTO scratch (id) VALUES (1)");
                AfterCommit.run(h, () -> {
                    throw new IllegalStateException("a broken listener");
                });
                AfterCommit.run(h, () -> ran.add("still ran"));
                return 7;
            });
            assertThat(value).isEqualTo(7);
            assertThat(ran).containsExactly("still ran");
            assertThat(rows(jdbi)).isEqualTo(1);
        }
    }

    @StoreTest
    void anActionOutsideATransactionIsRefused(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            assertThatThrownBy(() -> database.jdbi().useHandle(h -> AfterCommit.run(h, () -> {
            }))).isInstanceOf(IllegalStateException.class).hasMessageContaining("transaction");
        }
    }
}
