package dev.flotilla.server.devices;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache's rule: a read that may predate an invalidation is never kept. */
class IdleCacheTest {
    private static IdleCache.Entry entry(String token) {
        return new IdleCache.Entry(token, Long.MAX_VALUE, "m", null);
    }

    @Test
    void keepsAReadStampedAfterTheLatestInvalidation() {
        IdleCache cache = new IdleCache(10);
        cache.invalidate("d1");
        long stamp = cache.stamp();
        cache.put("d1", entry("t"), stamp);
        assertThat(cache.get("d1")).isEqualTo(entry("t"));
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void dropsAReadThatBeganBeforeAnInvalidationOfItsDevice() {
        IdleCache cache = new IdleCache(10);
        long stamp = cache.stamp(); // the read begins
        cache.invalidate("d1");     // a change is seen meanwhile
        cache.put("d1", entry("t"), stamp);
        assertThat(cache.get("d1")).isNull();
        // another device's invalidation does not matter
        long other = cache.stamp();
        cache.invalidate("d2");
        cache.put("d1", entry("t"), other);
        assertThat(cache.get("d1")).isNotNull();
    }

    @Test
    void invalidationRemovesAnEntry() {
        IdleCache cache = new IdleCache(10);
        cache.put("d1", entry("t"), cache.stamp());
        cache.invalidate("d1");
        assertThat(cache.get("d1")).isNull();
    }

    @Test
    void clearDropsEverythingAndEveryReadBegunBeforeIt() {
        IdleCache cache = new IdleCache(10);
        cache.put("d1", entry("t"), cache.stamp());
        long before = cache.stamp();
        cache.clear();
        assertThat(cache.get("d1")).isNull();
        cache.put("d2", entry("t"), before);
        assertThat(cache.get("d2")).isNull();
        cache.put("d2", entry("t"), cache.stamp());
        assertThat(cache.get("d2")).isNotNull();
    }

    @Test
    void pruneForgetsOldInvalidationsAndRefusesReadsOlderThanThePreviousPrune() {
        IdleCache cache = new IdleCache(10);
        long ancient = cache.stamp();
        cache.invalidate("d1");
        cache.prune(); // marks now
        long recent = cache.stamp();
        cache.prune(); // floor = the previous mark: reads stamped before it are refused from now on
        cache.put("d1", entry("t"), ancient);
        assertThat(cache.get("d1")).as("stamped before an invalidation whose record is gone").isNull();
        cache.put("d1", entry("t"), recent);
        assertThat(cache.get("d1")).isNotNull();
    }

    /** A put racing an invalidation of its device: whatever the interleaving, no earlier read survives. */
    @Test
    void aPutRacingAnInvalidationNeverLeavesAReadOlderThanIt() throws Exception {
        IdleCache cache = new IdleCache(10);
        for (int round = 0; round < 2_000; round++) {
            java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
            long[] invalidatedAt = new long[1];
            Thread reader = Thread.ofPlatform().start(() -> {
                long stamp = cache.stamp();
                await(go);
                cache.put("d", entry(Long.toString(stamp)), stamp);
            });
            Thread writer = Thread.ofPlatform().start(() -> {
                await(go);
                cache.invalidate("d");
                invalidatedAt[0] = cache.stamp();
            });
            reader.join();
            writer.join();
            IdleCache.Entry left = cache.get("d");
            if (left != null) {
                assertThat(Long.parseLong(left.tokenHash())).as("round " + round).isGreaterThanOrEqualTo(invalidatedAt[0]);
            }
            cache.invalidate("d");
        }
    }

    private static void await(java.util.concurrent.CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void holdsAtMostItsBoundButStillReplacesKnownDevices() {
        IdleCache cache = new IdleCache(2);
        cache.put("d1", entry("a"), cache.stamp());
        cache.put("d2", entry("a"), cache.stamp());
        cache.put("d3", entry("a"), cache.stamp());
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get("d3")).isNull();
        cache.put("d1", entry("b"), cache.stamp());
        assertThat(cache.get("d1")).isEqualTo(entry("b"));
    }
}
