package dev.flotilla.sim;

import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.PowerCut;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A board's storage across boots: a cut loses what was not durable, and a dead boot never writes again. */
class PowerTest {
    @TempDir
    Path dir;

    @Test
    void aCutLosesUnsyncedWritesAndTheBootItHappenedOnStaysDeadAfterTheNextBoot() throws Exception {
        Power power = new Power(dir.resolve("events"));
        Path file = dir.resolve("state.json");
        Durable first = power.get();
        first.replace(file, bytes("one"));
        power.cutAfter(3); // the next replace writes its temporary file, but the power goes before the fsync
        assertThatThrownBy(() -> first.replace(file, bytes("two"))).isInstanceOf(PowerCut.class);
        assertThat(power.cuts()).isEqualTo(1);

        Durable second = power.get(); // the board boots again: power on
        assertThat(Files.readString(file)).isEqualTo("one");
        assertThat(dir.resolve("state.json.tmp")).as("the unsynced write is lost").doesNotExist();
        assertThatThrownBy(() -> first.replace(file, bytes("stale"))).isInstanceOf(PowerCut.class);
        second.replace(file, bytes("three"));
        assertThat(Files.readString(file)).isEqualTo("three");
    }

    @Test
    void eventsQueuedDurablyAreRecordedAcrossBoots() throws Exception {
        Path queue = Files.createDirectories(dir.resolve("events"));
        Power power = new Power(queue);
        power.get().replace(queue.resolve("00000000000000000001.json"), bytes("{\"eventId\": \"ev-1\"}"));
        power.get().replace(queue.resolve("00000000000000000002.json"), bytes("{\"eventId\": \"ev-2\"}"));
        power.get().replace(dir.resolve("other.json"), bytes("{\"eventId\": \"not-an-event\"}"));
        assertThat(power.recorded().queuedEventIds()).containsExactlyInAnyOrder("ev-1", "ev-2");
        assertThat(power.recorded().queueEmpty()).isFalse();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
