package dev.flotilla.server.events;

import dev.flotilla.server.devices.DeviceEvent;
import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A listener registered on a real server (loopback, fake clock) hears, after each commit, the device events
 * stored, the rollout's transitions with who made them, its stage starts with the devices admitted (a static
 * selection: admitted in the transaction that starts the stage), the gates
 * the evaluator checked and the halt, with their numbers; at each it reads from another connection what the
 * commit wrote. A resent event, whose insert fails, is not told again. H2 and PostgreSQL.
 */
class FleetEventsServerTest {
    @TempDir
    Path dir;
    private Fleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** What the listener heard; {@code seen} is what another connection read when it heard it. */
    private static final class Heard implements FleetListener {
        final List<DeviceEvent> deviceEvents = new CopyOnWriteArrayList<>();
        final List<Transition> transitions = new CopyOnWriteArrayList<>();
        final List<StageStart> stages = new CopyOnWriteArrayList<>();
        final List<GateEvaluation> gates = new CopyOnWriteArrayList<>();
        final List<GateEvaluation> halts = new CopyOnWriteArrayList<>();
        final List<String> seen = new CopyOnWriteArrayList<>();
        private final Jdbi jdbi;

        Heard(Jdbi jdbi) {
            this.jdbi = jdbi;
        }

        @Override
        public void deviceEventStored(DeviceEvent event) {
            deviceEvents.add(event);
            seen.add("event " + event.eventId() + " stored " + jdbi.withHandle(h -> h.createQuery(
                            "SELECT COUNT(*) FROM device_events WHERE device_id = :d AND event_id = :e")
                    .bind("d", event.deviceId()).bind("e", event.eventId()).mapTo(Integer.class).one()));
        }

        @Override
        public void rolloutTransition(Transition t) {
            transitions.add(t);
            seen.add("rollout " + t.to() + " stored " + state(t.rolloutId()));
        }

        @Override
        public void stageStarted(StageStart stage) {
            stages.add(stage);
        }

        @Override
        public void gateEvaluated(GateEvaluation gate) {
            gates.add(gate);
        }

        @Override
        public void halted(GateEvaluation failing) {
            halts.add(failing);
            seen.add("halt stored " + state(failing.rolloutId()));
        }

        private String state(String id) {
            return jdbi.withHandle(h -> h.createQuery("SELECT state FROM deployments WHERE id = :id").bind("id", id)
                    .mapTo(String.class).one());
        }
    }

    @StoreTest
    void aListenerHearsEachCommittedChangeOfARolloutThatHaltsWithItsNumbers(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> devices = fleet.devices(4, "board-a");
        Heard heard = new Heard(fleet.srv.server.jdbi());
        fleet.srv.server.events().listen(heard);

        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of("mode", "static"), "plan", Fleet.plan(
                "{'stages': [{'count': 2}, {'percent': 100}], 'soakSeconds': 0,"
                        + " 'gates': {'failureRate': {'max': 0.4, 'minDevices': 2}}}"))).path("id").asText();
        assertThat(heard.transitions).extracting(t -> t.from() + ">" + t.to())
                .containsExactly("null>created", "created>active");
        assertThat(heard.transitions).allSatisfy(t -> {
            assertThat(t.rolloutId()).isEqualTo(id);
            assertThat(t.actor().kind()).as("the operator's token").isEqualTo("token");
        });
        assertThat(heard.stages).containsExactly(new FleetListener.StageStart(id, 0, 2));

        List<TestDevice> first = fleet.assigned(devices, id);
        first.forEach(d -> fleet.commit(d, id));
        assertThat(heard.deviceEvents).extracting(e -> e.deviceId() + " " + e.type()).containsExactly(
                first.get(0).id() + " installed", first.get(0).id() + " committed",
                first.get(1).id() + " installed", first.get(1).id() + " committed");
        fleet.tick(id, Duration.ofSeconds(2));
        assertThat(heard.gates).contains(new FleetListener.GateEvaluation(id, 0, "failureRate", 0.4, 2, 0.0, 2, true,
                true));
        assertThat(heard.stages).contains(new FleetListener.StageStart(id, 1, 2));

        List<TestDevice> second = devices.stream().filter(d -> !first.contains(d)).toList();
        second.forEach(d -> fleet.report(d, id, "failed", Map.of("reason", "E_FLASH")));
        fleet.tick(id, Duration.ofSeconds(2));

        FleetListener.GateEvaluation failing = new FleetListener.GateEvaluation(id, 1, "failureRate", 0.4, 2, 0.5, 4,
                true, false);
        assertThat(heard.gates).contains(failing);
        assertThat(heard.halts).containsExactly(failing);
        assertThat(heard.transitions.getLast()).satisfies(t -> {
            assertThat(t.from() + ">" + t.to()).isEqualTo("active>halted");
            assertThat(t.actor().kind()).as("the rollout evaluator").isEqualTo("system");
        });
        assertThat(heard.seen).as("each was told after its commit").allSatisfy(s -> {
            if (s.startsWith("event")) {
                assertThat(s).endsWith("stored 1");
            }
        }).contains("rollout created stored active", // created and started in one transaction
                "rollout active stored active", "rollout halted stored halted", "halt stored halted");
    }

    @StoreTest
    void aResentEventWhoseInsertFailsIsNotToldAgain(TestDatabase db) {
        fleet = new Fleet(db, dir);
        TestDevice d = fleet.devices(1, "board-a").getFirst();
        Heard heard = new Heard(fleet.srv.server.jdbi());
        fleet.srv.server.events().listen(heard);
        Map<String, Object> batch = Map.of("events", List.of(Map.of("eventId", "once", "type", "download_started")));

        Http.Response stored = fleet.srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);
        Http.Response resent = fleet.srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), batch);

        assertThat(stored.json().path("accepted").asInt()).isEqualTo(1);
        assertThat(resent.json().path("duplicates").asInt()).isEqualTo(1);
        assertThat(heard.deviceEvents).singleElement().satisfies(e -> {
            assertThat(e.eventId()).isEqualTo("once");
            assertThat(e.type()).isEqualTo("download_started");
        });
        assertThat(heard.seen).containsExactly("event once stored 1");
    }
}
