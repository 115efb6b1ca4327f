package dev.flotilla.server.rollouts;

import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's time series: the evaluator samples a rollout's device states only when a sample is due and the
 * counts changed, a halt is sampled at once, and a rollout keeps a bounded number of samples. H2 and PostgreSQL.
 */
class RolloutSamplesTest extends FleetTest {
    private List<Rollout.Sample> series(String id) {
        return fleet.srv.server.rollouts().series(id);
    }

    @StoreTest
    void theEvaluatorSamplesWhenDueAndChangedAndAHaltAtOnce(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(4, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'percent': 100}], 'gates': {'failureRate': {'max': 0.4, 'minDevices': 3}}}")))
                .path("id").asText();
        fleet.tick(id, Duration.ofSeconds(2));
        assertThat(series(id)).singleElement().satisfies(s -> {
            assertThat(s.pending()).isEqualTo(4);
            assertThat(s.committed()).isZero();
        });
        fleet.tick(id, Duration.ofSeconds(30));
        assertThat(series(id)).as("the counts did not change").hasSize(1);

        fleet.commit(devices.get(0), id);
        fleet.tick(id, Duration.ofSeconds(1));
        assertThat(series(id)).hasSize(2).last().satisfies(s -> {
            assertThat(s.pending()).isEqualTo(3);
            assertThat(s.committed()).isEqualTo(1);
        });
        fleet.report(devices.get(1), id, "installed", Map.of());
        fleet.tick(id, Duration.ofSeconds(2));
        assertThat(series(id)).as("not due yet: at most one sample in 10 s").hasSize(2);
        fleet.tick(id, Duration.ofSeconds(9));
        assertThat(series(id)).hasSize(3).last().satisfies(s -> assertThat(s.inProgress()).isEqualTo(1));

        fleet.tick(id, Duration.ofSeconds(1));
        long before = fleet.clock.millis();
        fleet.report(devices.get(2), id, "failed", Map.of("reason", "E_FLASH"));
        fleet.report(devices.get(3), id, "rolled_back", Map.of());
        assertThat(fleet.tick(id, Duration.ofSeconds(1)).path("state").asText()).isEqualTo("halted");
        assertThat(series(id)).as("the halt is sampled at once").hasSize(4).last().satisfies(s -> {
            assertThat(s.at()).isGreaterThanOrEqualTo(before);
            assertThat(s.failed()).isEqualTo(2);
            assertThat(s.committed()).isEqualTo(1);
            assertThat(s.inProgress()).isEqualTo(1);
            assertThat(s.pending()).isZero();
        });
    }

    @StoreTest
    void aRolloutKeepsAtMostAThousandSamplesThinningTheOlderHalf(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(2, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan",
                Fleet.plan("{'stages': [{'percent': 100}]}"))).path("id").asText();
        fleet.srv.server.jdbi().useHandle(h -> {
            PreparedBatch b = h.prepareBatch("INSERT INTO rollout_samples (rollout_id, at, pending, in_progress,"
                    + " committed, failed, stopped) VALUES (:r, :at, :p, 0, 0, 0, 0)");
            for (int i = 1; i <= Samples.MAX; i++) {
                b.bind("r", id).bind("at", (long) i).bind("p", i % 2).add();
            }
            b.execute();
        });
        fleet.commit(devices.get(0), id);
        fleet.tick(id, Duration.ofSeconds(11));

        List<Rollout.Sample> kept = series(id);
        assertThat(kept).hasSizeBetween(Samples.MAX / 2, Samples.MAX);
        assertThat(kept.getFirst().at()).as("the first stays").isEqualTo(1);
        assertThat(kept.getLast().committed()).as("the newest stays").isEqualTo(1);
        assertThat(kept.stream().filter(s -> s.at() > Samples.MAX / 2 && s.at() <= Samples.MAX))
                .as("the recent half is untouched").hasSize(Samples.MAX / 2);
    }
}
