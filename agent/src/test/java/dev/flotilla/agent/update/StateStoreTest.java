package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.storage.FileDurable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file: its round trip, and files written by older agents. */
class StateStoreTest {
    @TempDir
    Path dir;

    @Test
    void theFinishedRecordAndTheAssignmentCounterSurviveTheRoundTrip() throws Exception {
        StateStore store = new StateStore(dir.resolve("state/state.json"), new FileDurable());
        Assignment a = new Assignment("dep-1", "fw/a.img", "2.0.0", 10, "0".repeat(64), 1, false, 7);
        StateStore.Persisted p = new StateStore.Persisted(4, 1, new UpdateState.Trial(a, "b"),
                new StateStore.Finished(6, "dep-0", ReasonCode.UPDATE_ROLLED_BACK));
        store.save(p);
        assertThat(store.load()).isEqualTo(p);
    }

    @Test
    void aStateFileFromBeforeTheFinishedRecordLoadsWithCounterZeroAndNoRecord() throws Exception {
        Path file = Files.createDirectories(dir.resolve("state")).resolve("state.json");
        Files.writeString(file, """
                {"seq": 3, "entries": 0, "state": {"state": "DOWNLOADING", "slot": "b", "offset": 16384,
                 "assignment": {"id": "dep-1", "target": "fw/a.img", "version": "2.0.0", "length": 10,
                                "sha256": "%s", "securityVersion": 1, "forced": false}}}
                """.formatted("0".repeat(64)));
        StateStore.Persisted p = new StateStore(file, new FileDurable()).load();
        assertThat(p.finished()).isNull();
        assertThat(p.state()).isEqualTo(new UpdateState.Downloading(
                new Assignment("dep-1", "fw/a.img", "2.0.0", 10, "0".repeat(64), 1), "b", 16384));
    }

    @Test
    void theRolloutFieldsAndTheHealthWatchSurviveTheRoundTrip() throws Exception {
        StateStore store = new StateStore(dir.resolve("state/state.json"), new FileDurable());
        Assignment a = new Assignment("dep-1", "fw/a.img", "2.0.0", 10, "0".repeat(64), 1, false, 7, false, true,
                new dev.flotilla.core.director.MaintenanceWindow("30 2 * * 1-5", 90, "Europe/Berlin"));
        StateStore.Persisted p = new StateStore.Persisted(4, 0, new UpdateState.Installing(a, "b"), null,
                new StateStore.HealthWatch("dep-0", "1.5.0", 1_780_000_000_000L, true));
        store.save(p);
        assertThat(store.load()).isEqualTo(p);
        StateStore.Persisted withdrawn = new StateStore.Persisted(5, 0, new UpdateState.Withdrawn(a, "b"), null);
        store.save(withdrawn);
        assertThat(store.load()).isEqualTo(withdrawn);
    }

    @Test
    void aStateFileFromBeforeTheRolloutFieldsLoadsAsNotDownloadOnlyWithoutWindowOrWatch() throws Exception {
        Path file = Files.createDirectories(dir.resolve("state")).resolve("state.json");
        Files.writeString(file, """
                {"seq": 3, "entries": 0, "state": {"state": "INSTALLING", "slot": "b",
                 "assignment": {"id": "dep-1", "target": "fw/a.img", "version": "2.0.0", "length": 10,
                                "sha256": "%s", "securityVersion": 1, "forced": false, "counter": 2}},
                 "finished": null}
                """.formatted("0".repeat(64)));
        StateStore.Persisted p = new StateStore(file, new FileDurable()).load();
        assertThat(p.watch()).isNull();
        assertThat(p.state()).isEqualTo(new UpdateState.Installing(
                new Assignment("dep-1", "fw/a.img", "2.0.0", 10, "0".repeat(64), 1, false, 2), "b"));
    }

    @Test
    void aStateFileThisAgentCannotReadIsAnIOExceptionNamingTheFileAndTheField() throws Exception {
        Path file = Files.createDirectories(dir.resolve("state")).resolve("state.json");
        StateStore store = new StateStore(file, new FileDurable());
        Files.writeString(file, "{\"seq\": \"three\", \"entries\": 0, \"state\": {\"state\": \"IDLE\"}}");
        org.assertj.core.api.Assertions.assertThatThrownBy(store::load).isInstanceOf(java.io.IOException.class)
                .hasMessage(file + ": not a state file this agent can read: seq: not an integer");
        Files.writeString(file, "{\"seq\": 3, \"entries\": 0, \"state\": {\"state\": \"NAPPING\"}}");
        org.assertj.core.api.Assertions.assertThatThrownBy(store::load).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("unknown state 'NAPPING'");
        Files.writeString(file, "{\"seq\": 3,");
        org.assertj.core.api.Assertions.assertThatThrownBy(store::load).isInstanceOf(java.io.IOException.class)
                .hasMessageStartingWith(file + ": not a state file this agent can read: ");
        assertThat(Files.readString(file)).as("reading changes nothing").isEqualTo("{\"seq\": 3,");
    }

    @Test
    void aQueuedEventThisAgentCannotReadIsAnIOExceptionNamingTheFileAndTheField() {
        Path file = dir.resolve("00000000000000000007.json");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StateJson.readEvent(file,
                        "{\"eventId\": \"ev-7\", \"seq\": 7, \"checks\": [{\"name\": \"boot\", \"ok\": \"yes\"}]}"
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(java.io.IOException.class)
                .hasMessage(file + ": not an event this agent can read: ok: not true or false");
    }
}
