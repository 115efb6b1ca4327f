package dev.flotilla.agent.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashableDurableTest {
    @TempDir
    Path dir;

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void countsOperationsAndCutsJustBeforeTheChosenOne() throws IOException {
        CrashableDurable d = new CrashableDurable(3);
        Path f = dir.resolve("f");
        d.write(f, 0, bytes("hello"));
        d.fsync(f);
        assertThatThrownBy(() -> d.append(f, "!".getBytes())).isInstanceOf(PowerCut.class)
                .satisfies(e -> assertThat(((PowerCut) e).operation()).isEqualTo(3));
        assertThat(d.operations()).isEqualTo(2);
        assertThatThrownBy(() -> d.fsync(f)).as("power stays off").isInstanceOf(PowerCut.class);
        assertThat(Files.readString(f)).isEqualTo("hello");
    }

    @Test
    void unsyncedWritesAreLostAndSyncedOnesKept() throws IOException {
        CrashableDurable d = new CrashableDurable(5);
        Path kept = dir.resolve("kept");
        Path lost = dir.resolve("lost");
        d.write(kept, 0, bytes("old"));
        d.fsync(kept);
        d.write(kept, 0, bytes("new"));
        d.write(lost, 0, bytes("never synced"));
        assertThatThrownBy(() -> d.fsync(kept)).isInstanceOf(PowerCut.class);
        assertThat(Files.readString(kept)).isEqualTo("old");
        assertThat(lost).doesNotExist();
    }

    @Test
    void replaceLeavesOldOrNewContentWhereverThePowerIsCut() throws IOException {
        Path f = dir.resolve("state");
        Files.writeString(f, "old");
        CrashableDurable counting = new CrashableDurable();
        counting.replace(dir.resolve("probe"), "x".getBytes());
        long k = counting.operations();
        assertThat(k).isEqualTo(4);
        for (int cut = 1; cut <= k + 1; cut++) {
            Files.writeString(f, "old");
            CrashableDurable d = new CrashableDurable(cut);
            try {
                d.replace(f, "new".getBytes());
            } catch (PowerCut expected) {
                // cut
            }
            assertThat(Files.readString(f)).as("cut before op %d", cut).isEqualTo(d.isOff() ? "old" : "new");
        }
    }

    @Test
    void renamingAnUnsyncedFileCarriesItsDurableContent() throws IOException {
        CrashableDurable d = new CrashableDurable(3);
        Path tmp = dir.resolve("tmp");
        Path target = dir.resolve("target");
        Files.writeString(target, "old");
        d.write(tmp, 0, bytes("new"));
        d.rename(tmp, target);
        assertThatThrownBy(() -> d.delete(dir.resolve("x"))).isInstanceOf(PowerCut.class);
        assertThat(target).as("rename is durable, but the data never was").doesNotExist();
    }

    @Test
    void envChangesAreAtomicOperations() throws IOException {
        CrashableDurable d = new CrashableDurable(2);
        int[] ran = new int[1];
        d.envChange("one", () -> ran[0]++);
        assertThatThrownBy(() -> d.envChange("two", () -> ran[0]++)).isInstanceOf(PowerCut.class);
        assertThat(ran[0]).isEqualTo(1);
        assertThat(d.log()).containsExactly("env one");
    }
}
