package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.storage.PowerCut;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class SlotSyncerTest {
    private static final java.util.concurrent.ThreadFactory THREADS = Thread.ofVirtual().factory();


    /** Records "sync" and "at N" in the order the sync thread ran them. */
    private static final class Recorder implements SlotSyncer.Checkpoint {
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch release;
        volatile IOException failSync;
        volatile Error cut;

        Recorder(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public void sync() throws IOException {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            if (failSync != null) {
                throw failSync;
            }
            if (cut != null) {
                throw cut;
            }
            log.add("sync");
        }

        @Override
        public void reached(long offset) {
            log.add("at " + offset);
        }
    }

    @Test
    void oneSyncThenOneCheckpointPerSegmentEndInOrder() throws IOException {
        Recorder r = new Recorder(new CountDownLatch(0));
        try (SlotSyncer s = new SlotSyncer(r, 2, THREADS)) {
            for (long end = 100; end <= 500; end += 100) {
                s.written(end);
            }
            s.finish();
        }
        assertThat(r.log).containsExactly("sync", "at 100", "sync", "at 200", "sync", "at 300", "sync", "at 400",
                "sync", "at 500");
    }

    @Test
    void theWriterWaitsWhileMaxPendingSegmentsAwaitTheirFsync() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recorder r = new Recorder(release);
        try (SlotSyncer s = new SlotSyncer(r, 2, THREADS)) {
            s.written(1);
            s.written(2); // two pending (the first is stuck in its fsync)
            Thread third = new Thread(() -> {
                try {
                    s.written(3);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            third.start();
            third.join(300);
            assertThat(third.isAlive()).as("third segment end waits for a free place").isTrue();
            assertThat(r.log).isEmpty();
            release.countDown();
            third.join();
            s.finish();
        }
        assertThat(r.log).containsExactly("sync", "at 1", "sync", "at 2", "sync", "at 3");
    }

    @Test
    void aFailedFsyncIsRethrownToTheWriterAndNothingIsCheckpointedAfterIt() throws IOException {
        Recorder r = new Recorder(new CountDownLatch(0));
        r.failSync = new IOException("EIO (simulated)");
        try (SlotSyncer s = new SlotSyncer(r, 4, THREADS)) {
            s.written(10);
            assertThatThrownBy(s::finish).isSameAs(r.failSync);
            assertThatThrownBy(() -> s.written(20)).isSameAs(r.failSync);
        }
        assertThat(r.log).isEmpty();
    }

    @Test
    void aPowerCutOnTheSyncThreadReachesTheWriterAsItself() throws IOException {
        Recorder r = new Recorder(new CountDownLatch(0));
        r.cut = new PowerCut(7, "fsync slot-b.img");
        try (SlotSyncer s = new SlotSyncer(r, 4, THREADS)) {
            s.written(10);
            assertThatThrownBy(s::finish).isSameAs(r.cut);
        }
    }

    @Test
    void closeWithoutFinishStillCheckpointsWhatWasReportedAndWaits() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        Recorder r = new Recorder(release);
        SlotSyncer s = new SlotSyncer(r, 4, THREADS);
        s.written(5);
        s.written(9);
        release.countDown();
        s.close(); // the writer failed: close must not return while the thread still writes
        assertThat(r.log).containsExactly("sync", "at 5", "sync", "at 9");
    }
}
