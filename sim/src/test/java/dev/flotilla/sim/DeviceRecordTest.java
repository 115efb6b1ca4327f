package dev.flotilla.sim;

import dev.flotilla.agent.update.UpdateState;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A board is mid-update from its first download until the update ends, whichever way it ends. */
class DeviceRecordTest {
    private final AtomicLong now = new AtomicLong();

    @Test
    void anUpdateEndsWithACommitARollbackAFailureOrAWithdrawal() throws Exception {
        for (UpdateState end : new UpdateState[]{new UpdateState.Committed(null, "b"),
                new UpdateState.RolledBack(null, null, ""), new UpdateState.Failed(null, "b", null, ""),
                new UpdateState.Withdrawn(null, "b")}) {
            DeviceRecord r = record();
            assertThat(r.updating()).isFalse();
            r.transition(new UpdateState.Idle(), new UpdateState.Downloading(null, "b", 0), null, "");
            now.addAndGet(1000);
            r.transition(new UpdateState.Downloading(null, "b", 0), new UpdateState.Rebooting(null, "b"), null, "");
            assertThat(r.updating()).as(end.label()).isTrue();
            r.transition(new UpdateState.Rebooting(null, "b"), end, null, "");
            assertThat(r.updating()).as(end.label()).isFalse();
            assertThat(r.changes()).hasSize(2);
        }
    }

    private DeviceRecord record() throws Exception {
        SignedTargets signed = SignedTargets.parse("{\"signed\": {\"targets\": {}}}".getBytes(StandardCharsets.UTF_8),
                Map.of());
        return new DeviceRecord("board", Path.of("unused"), signed, now::get);
    }
}
