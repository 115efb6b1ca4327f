package dev.flotilla.server.events;

import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The event stream's delivery on a real database: listeners hear a publication once its transaction committed,
 * in the order they were registered, nothing of a transaction that rolled back, and a listener that throws
 * keeps no other from hearing. H2 and PostgreSQL. What the services publish: {@link FleetEventsServerTest}.
 */
class FleetEventsTest {
    private static FleetListener.GateEvaluation gate(String rolloutId) {
        return new FleetListener.GateEvaluation(rolloutId, 0, "failureRate", 0.1, 2, 0.5, 4, true, false);
    }

    @StoreTest
    void listenersHearOnlyCommittedPublicationsInOrderAndABrokenOneStopsNoOther(TestDatabase db) {
        try (Database database = Database.open(db.jdbcUrl())) {
            FleetEvents events = new FleetEvents();
            List<String> heard = new CopyOnWriteArrayList<>();
            events.listen(new FleetListener() {
                @Override
                public void halted(GateEvaluation failing) {
                    heard.add("first " + failing.rolloutId());
                    throw new IllegalStateException("a broken listener");
                }
            });
            events.listen(new FleetListener() {
                @Override
                public void halted(GateEvaluation failing) {
                    heard.add("second " + failing.rolloutId());
                }
            });

            assertThatThrownBy(() -> database.jdbi().useTransaction(h -> {
                events.after(h).halted(gate("rol_rolledback"));
                throw new IllegalStateException("the transaction fails");
            })).hasMessage("the transaction fails");
            assertThat(heard).as("a rolled-back transaction publishes nothing").isEmpty();

            database.jdbi().useTransaction(h -> {
                events.after(h).halted(gate("rol_committed"));
                assertThat(heard).as("nothing before the commit").isEmpty();
            });
            assertThat(heard).containsExactly("first rol_committed", "second rol_committed");
        }
    }
}
