package dev.flotilla.server.rollouts;

import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A started dynamic selection's positions are filled in committed batches ({@link PositionFill}): other
 * connections see the partial rows but nothing counts them until the last batch; an interrupted fill is done
 * again; and devices that join or leave the selection while the fill runs end up exactly where a full read of
 * the selection puts them. Real HTTP, H2 and PostgreSQL.
 */
class RolloutPositionFillTest extends FleetTest {
    private static final Map<String, Object> PLAN = Fleet.plan("{'stages': [{'percent': 100}]}");

    @StoreTest
    void theFillCommitsBatchesThatCountOnlyOnceTheLastIsIn(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(7, "board-a");
        List<String> seen = new ArrayList<>();
        fill().watch((id, rows) -> seen.add(rows + " rows, " + rowsOf(id) + " seen, filled "
                + filled(id)), 2);

        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", PLAN))
                .path("id").asText();

        assertThat(seen).as("each batch committed, seen by another connection, not yet complete").containsExactly(
                "2 rows, 2 seen, filled false", "4 rows, 4 seen, filled false", "6 rows, 6 seen, filled false",
                "7 rows, 7 seen, filled false");
        assertThat(filled(id)).isTrue();
        assertThat(fleet.assigned(devices, id)).as("the first stage admitted once complete").hasSize(7);
        assertThat(positions(id)).isEqualTo(selection(id));
    }

    @StoreTest
    void aFillInterruptedHalfwayIsDoneAgainOnceItsClaimIsStale(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(6, "board-a");
        AtomicBoolean interrupted = new AtomicBoolean();
        fill().watch((id, rows) -> {
            if (rows == 4 && interrupted.compareAndSet(false, true)) { // as if another server claimed it and died
                jdbi().useHandle(h -> h.execute("UPDATE deployments SET positions_filler = 'srv_gone' WHERE id = ?", id));
                throw new IllegalStateException("the server stops here");
            }
        }, 2);

        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", PLAN))
                .path("id").asText();
        assertThat(rowsOf(id)).as("two batches committed").isEqualTo(4);
        assertThat(fleet.assigned(devices, id)).isEmpty();

        fleet.tick(id, Duration.ofMinutes(1)); // the claim of a server that died: still held
        assertThat(filled(id)).isFalse();
        assertThat(fleet.assigned(devices, id)).isEmpty();

        fleet.tick(id, Duration.ofMillis(PositionFill.STALE_MILLIS)); // now stale: taken over, filled again
        assertThat(filled(id)).isTrue();
        assertThat(positions(id)).isEqualTo(selection(id));
        assertThat(fleet.assigned(devices, id)).hasSize(6);
        assertThat(fleet.get(id).path("selected").asInt()).isEqualTo(6);
    }

    @StoreTest
    void devicesThatJoinOrLeaveWhileTheFillRunsGetTheirStage(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> lab = fleet.devices(5, "board-a");
        lab.forEach(d -> fleet.setGroup(d, "lab"));
        TestDevice late = fleet.devices(1, "board-a").get(0);
        AtomicBoolean changed = new AtomicBoolean();
        fill().watch((id, rows) -> {
            if (changed.compareAndSet(false, true)) { // after the selection was read and the first batch written
                fleet.setGroup(late, "lab");
                fleet.setGroup(lab.get(4), "elsewhere");
                fleet.srv.server.rollouts().evaluator().evaluate(); // an evaluation during the fill
            }
        }, 2);

        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("groups", List.of("lab")),
                "plan", PLAN)).path("id").asText();
        assertThat(changed).isTrue();

        fleet.tick(id, Duration.ofSeconds(30)); // the queued changes, then the joiners
        assertThat(positions(id)).isEqualTo(selection(id)).contains(late.id()).doesNotContain(lab.get(4).id());
        assertThat(fleet.get(id).path("selected").asInt()).isEqualTo(5);
        assertThat(fleet.assigned(List.of(late), id)).as("the joiner got its stage").hasSize(1);
        assertThat(jdbi().withHandle(Positions::queued)).as("every queued change applied").isZero();
    }

    private PositionFill fill() {
        return fleet.srv.server.rollouts().positionFill();
    }

    private boolean filled(String id) {
        return jdbi().withHandle(h -> Positions.filled(h, id));
    }

    private int rowsOf(String id) {
        return jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM rollout_positions WHERE rollout_id = :r")
                .bind("r", id).mapTo(Integer.class).one());
    }

    private Set<String> positions(String id) {
        return new HashSet<>(jdbi().withHandle(h -> h.createQuery(
                "SELECT device_id FROM rollout_positions WHERE rollout_id = :r").bind("r", id).mapTo(String.class).list()));
    }

    /** The selection's members now, by a full read. */
    private Set<String> selection(String id) {
        return jdbi().withHandle(h -> {
            RolloutRow r = RolloutRow.find(h, id).orElseThrow();
            Set<String> out = new HashSet<>();
            r.selection().members(h, List.of("board-a")).forEach(m -> out.add(m.id()));
            return out;
        });
    }

    private Jdbi jdbi() {
        return fleet.srv.server.jdbi();
    }
}
