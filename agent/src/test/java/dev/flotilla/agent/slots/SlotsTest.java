package dev.flotilla.agent.slots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.boot.EnvBootControl;
import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.storage.Durable;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.storage.StorageFullException;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.testimage.TestImage.Behaviour;
import dev.flotilla.core.crypto.Digests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlotsTest {
    @TempDir
    Path dir;
    EnvBootControl boot;
    byte[] v1;
    byte[] v2;

    @BeforeEach
    void setUp() throws IOException {
        Files.writeString(dir.resolve("cmdline"), "root=/dev/x flotilla.slot=a\n");
        boot = EnvBootControl.simulated(dir.resolve("bootenv"), dir.resolve("cmdline"), new FileDurable(), () -> { });
        v1 = TestImage.create(Behaviour.BOOT_OK, "1.0.0", 100_000);
        v2 = TestImage.create(Behaviour.BOOT_OK, "2.0.0", 150_000);
        Files.write(dir.resolve("a.img"), v1);
    }

    private Slots slots(CrashableDurable durable, long capacity) {
        return new Slots(new Slot("a", dir.resolve("a.img"), capacity), new Slot("b", dir.resolve("b.img"), capacity),
                boot, durable, 16 * 1024);
    }

    @Test
    void writesTheImageIntoTheInactiveSlotAndHashesItBack() throws IOException {
        CrashableDurable durable = new CrashableDurable();
        Slots slots = slots(durable, 0);
        assertThat(slots.inactive().name()).isEqualTo("b");
        List<Long> progress = new ArrayList<>();
        long end = slots.write("b", 0, new ByteArrayInputStream(v2), v2.length, (done, total) -> progress.add(done));
        slots.sync("b");
        assertThat(end).isEqualTo(v2.length);
        assertThat(progress).isSorted().endsWith((long) v2.length).hasSize(10);
        assertThat(slots.sha256("b", v2.length, Progress.NONE)).isEqualTo(Digests.sha256Hex(v2));
        assertThat(durable.log()).hasSize(11).last().isEqualTo("fsync b.img");
    }

    @Test
    void refusesToOpenTheActiveSlotForWriting() throws IOException {
        Slots slots = slots(new CrashableDurable(), 0);
        assertThatThrownBy(() -> slots.write("a", 0, new ByteArrayInputStream(v2), v2.length, Progress.NONE))
                .isInstanceOf(SlotException.class)
                .satisfies(e -> assertThat(((SlotException) e).reason()).isEqualTo(SlotException.Reason.ACTIVE_SLOT));
        assertThatThrownBy(() -> slots.sync("a")).isInstanceOf(SlotException.class);
        assertThat(Files.readAllBytes(dir.resolve("a.img"))).isEqualTo(v1);
    }

    @Test
    void resumesAnInterruptedWriteFromTheSyncedOffset() throws IOException {
        CrashableDurable durable = new CrashableDurable(5); // cut before the 5th chunk write
        Slots slots = slots(durable, 0);
        long reached = slots.write("b", 0, new ByteArrayInputStream(v2), 3 * 16 * 1024, Progress.NONE);
        slots.sync("b");
        assertThatThrownBy(() -> slots.write("b", reached, new ByteArrayInputStream(v2, (int) reached,
                v2.length), v2.length, Progress.NONE)).isInstanceOf(dev.flotilla.agent.storage.PowerCut.class);
        assertThat(Files.size(dir.resolve("b.img"))).isEqualTo(reached);

        Slots after = slots(new CrashableDurable(), 0);
        long end = after.write("b", reached, new ByteArrayInputStream(v2, (int) reached, v2.length), v2.length,
                Progress.NONE);
        after.sync("b");
        assertThat(end).isEqualTo(v2.length);
        assertThat(after.sha256("b", v2.length, Progress.NONE)).isEqualTo(Digests.sha256Hex(v2));
    }

    @Test
    void aSmallImageGetsABufferOfItsOwnSizeNotAWholeChunk() throws IOException {
        List<Integer> buffers = new ArrayList<>();
        Durable real = new FileDurable();
        Durable recording = (Durable) Proxy.newProxyInstance(Durable.class.getClassLoader(),
                new Class<?>[]{Durable.class}, (proxy, method, args) -> {
                    if (method.getName().equals("write")) {
                        buffers.add(((ByteBuffer) args[2]).array().length);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Slots slots = new Slots(new Slot("a", dir.resolve("a.img"), 0), new Slot("b", dir.resolve("b.img"), 0),
                boot, recording, Slots.DEFAULT_CHUNK);

        slots.write("b", 0, new ByteArrayInputStream(v2), v2.length, Progress.NONE);
        slots.sync("b");

        assertThat(buffers).as("one buffer of the image's size, not of %d bytes", Slots.DEFAULT_CHUNK)
                .isNotEmpty().allMatch(n -> n == v2.length);
        assertThat(slots.sha256("b", v2.length, Progress.NONE)).isEqualTo(Digests.sha256Hex(v2));
        try (ReadBack back = slots.readBack("b", v2.length)) {
            back.synced(v2.length);
            assertThat(back.finish(v2.length)).isEqualTo(Digests.sha256Hex(v2));
        }
    }

    @Test
    void neverWritesMoreThanTheLimit() throws IOException {
        Slots slots = slots(new CrashableDurable(), 0);
        byte[] longer = Arrays.copyOf(v2, v2.length + 5000);
        assertThat(slots.write("b", 0, new ByteArrayInputStream(longer), v2.length, Progress.NONE))
                .isEqualTo(v2.length);
        assertThat(Files.size(dir.resolve("b.img"))).isEqualTo(v2.length);
    }

    @Test
    void refusesAnImageLargerThanTheSlot() {
        Slots slots = slots(new CrashableDurable(), 64 * 1024);
        assertThatThrownBy(() -> slots.write("b", 0, new ByteArrayInputStream(v2), v2.length, Progress.NONE))
                .isInstanceOf(SlotException.class).hasMessageContaining("does not fit");
    }

    @Test
    void diskFullSimulatedThroughTheSeamIsAStorageFullError() {
        CrashableDurable durable = new CrashableDurable();
        durable.limitSpace(dir.resolve("b.img"), 40_000);
        Slots slots = slots(durable, 0);
        assertThatThrownBy(() -> slots.write("b", 0, new ByteArrayInputStream(v2), v2.length, Progress.NONE))
                .isInstanceOf(StorageFullException.class);
    }

    @Test
    void diskFullOnARealOneMebibyteTmpfsIsAStorageFullError() throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("tiny"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        boolean mounted = mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "needs root to mount a tmpfs; the seam test above covers ENOSPC");
        try {
            Slots slots = new Slots(new Slot("a", dir.resolve("a.img"), 0), new Slot("b", mnt.resolve("b.img"), 0),
                    boot, new FileDurable(), 64 * 1024);
            byte[] big = TestImage.create(Behaviour.BOOT_OK, "3.0.0", 2 << 20);
            assertThatThrownBy(() -> slots.write("b", 0, new ByteArrayInputStream(big), big.length, Progress.NONE))
                    .isInstanceOf(StorageFullException.class).hasMessageContaining("b.img");
        } finally {
            new ProcessBuilder("umount", mnt.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
