package dev.flotilla.agent.slots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadBackTest {
    private static final java.util.concurrent.ThreadFactory THREADS = Thread.ofVirtual().factory();

    @TempDir
    Path dir;

    @Test
    void hashesTheSyncedPrefixAsItGrowsAndMatchesTheWholeImage() throws IOException {
        byte[] image = new byte[1_234_567];
        new Random(7).nextBytes(image);
        Path slot = dir.resolve("b.img");
        try (ReadBack back = new ReadBack("b", slot, 4096, THREADS);
                FileChannel ch = FileChannel.open(slot, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (int pos = 0; pos < image.length; pos += 100_000) {
                int n = Math.min(100_000, image.length - pos);
                ch.write(ByteBuffer.wrap(image, pos, n), pos);
                ch.force(false);
                back.synced(pos + n);
            }
            assertThat(back.finish(image.length)).isEqualTo(Hex.encode(Digests.create("sha256").digest(image)));
        }
    }

    @Test
    void aSlotShorterThanTheImageIsAnError() throws IOException {
        Path slot = dir.resolve("b.img");
        Files.write(slot, new byte[1000]);
        try (ReadBack back = new ReadBack("b", slot, 256, THREADS)) {
            back.synced(2000);
            assertThatThrownBy(() -> back.finish(2000)).isInstanceOf(IOException.class)
                    .hasMessageContaining("holds only 1000 of 2000");
        }
    }

    @Test
    void refusesToFinishBeyondWhatWasSynced() {
        try (ReadBack back = new ReadBack("b", dir.resolve("b.img"), 256, THREADS)) {
            back.synced(10);
            assertThatThrownBy(() -> back.finish(11)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void closingBeforeAnythingWasWrittenStopsTheThread() {
        ReadBack back = new ReadBack("b", dir.resolve("missing.img"), 256, THREADS);
        back.close(); // returns: the thread ended without opening the (absent) file
        assertThat(Files.exists(dir.resolve("missing.img"))).isFalse();
    }
}
