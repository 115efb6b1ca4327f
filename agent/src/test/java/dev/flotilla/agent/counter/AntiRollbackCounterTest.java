package dev.flotilla.agent.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.storage.PowerCut;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AntiRollbackCounterTest {
    @TempDir
    Path dir;

    @Test
    void startsAtZeroAndOnlyGoesUp() throws IOException {
        AntiRollbackCounter c = new AntiRollbackCounter(dir.resolve("counter"), new CrashableDurable());
        assertThat(c.current()).isZero();
        c.raiseTo(3);
        c.raiseTo(3);
        assertThat(c.current()).isEqualTo(3);
        assertThatThrownBy(() -> c.raiseTo(2))
                .isInstanceOf(AntiRollbackCounter.CounterRollbackException.class)
                .hasMessageContaining("is 3").hasMessageContaining("lower it to 2");
        assertThat(new AntiRollbackCounter(dir.resolve("counter"), new CrashableDurable()).current()).isEqualTo(3);
    }

    @Test
    void aPowerCutAtAnyPointLeavesTheOldOrTheNewValue() throws IOException {
        for (int k = 1; k <= 5; k++) {
            Path f = dir.resolve("counter-" + k);
            new AntiRollbackCounter(f, new CrashableDurable()).raiseTo(5);
            CrashableDurable cutting = new CrashableDurable(k);
            try {
                new AntiRollbackCounter(f, cutting).raiseTo(9);
            } catch (PowerCut expected) {
                // power went off before operation k
            }
            long after = new AntiRollbackCounter(f, new CrashableDurable()).current();
            assertThat(after).as("cut before op %d", k).isIn(5L, 9L);
            assertThat(after == 9L).isEqualTo(!cutting.isOff());
        }
    }

    @Test
    void aDamagedFileIsAnErrorNotZero() throws IOException {
        Files.writeString(dir.resolve("counter"), "garbage");
        assertThatThrownBy(() -> new AntiRollbackCounter(dir.resolve("counter"), new CrashableDurable()).current())
                .isInstanceOf(IOException.class).hasMessageContaining("damaged");
    }
}
