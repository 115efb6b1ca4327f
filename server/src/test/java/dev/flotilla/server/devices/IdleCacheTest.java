package dev.flotilla.server.devices;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache's rule: a read that may predate an invalidation is never kept. */
class IdleCacheTest {
    /** {@code n} as a SHA-256 digest would be written: 64 lowercase hex digits. */
    private static String digest(long n) {
        return String.format("%064x", n);
    }

    private static IdleCache.Entry entry(long token) {
        return new IdleCache.Entry(digest(token), Long.MAX_VALUE, digest(7), null);
    }

    @Test
    void keepsAReadStampedAfterTheLatestInvalidation() {
        IdleCache cache = new IdleCache(10);
        cache.invalidate("d1");
        long stamp = cache.stamp();
        cache.put("d1", entry(1), stamp);
        assertThat(cache.get("d1")).isEqualTo(entry(1));
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void dropsAReadThatBeganBeforeAnInvalidationOfItsDevice() {
        IdleCache cache = new IdleCache(10);
        long stamp = cache.stamp(); // the read begins
        cache.invalidate("d1");     // a change is seen meanwhile
        cache.put("d1", entry(1), stamp);
        assertThat(cache.get("d1")).isNull();
        // another device's invalidation does not matter
        long other = cache.stamp();
        cache.invalidate("d2");
        cache.put("d1", entry(1), other);
        assertThat(cache.get("d1")).isNotNull();
    }

    @Test
    void invalidationRemovesAnEntry() {
        IdleCache cache = new IdleCache(10);
        cache.put("d1", entry(1), cache.stamp());
        cache.invalidate("d1");
        assertThat(cache.get("d1")).isNull();
    }

    @Test
    void clearDropsEverythingAndEveryReadBegunBeforeIt() {
        IdleCache cache = new IdleCache(10);
        cache.put("d1", entry(1), cache.stamp());
        long before = cache.stamp();
        cache.clear();
        assertThat(cache.get("d1")).isNull();
        cache.put("d2", entry(1), before);
        assertThat(cache.get("d2")).isNull();
        cache.put("d2", entry(1), cache.stamp());
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
        cache.put("d1", entry(1), ancient);
        assertThat(cache.get("d1")).as("stamped before an invalidation whose record is gone").isNull();
        cache.put("d1", entry(1), recent);
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
                cache.put("d", entry(stamp), stamp);
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
                assertThat(Long.parseLong(left.tokenHash(), 16)).as("round " + round).isGreaterThanOrEqualTo(invalidatedAt[0]);
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
        cache.put("d1", entry(1), cache.stamp());
        cache.put("d2", entry(1), cache.stamp());
        cache.put("d3", entry(1), cache.stamp());
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get("d3")).isNull();
        cache.put("d1", entry(2), cache.stamp());
        assertThat(cache.get("d1")).isEqualTo(entry(2));
    }

    @Test
    void givesBackWhatWasPutWithOrWithoutAManifestAndAnAssignment() {
        IdleCache cache = new IdleCache(10);
        AssignmentSource.Stored assignment = new AssignmentSource.Stored(new String("assigned"), digest(3), 42);
        IdleCache.Entry[] entries = {
                new IdleCache.Entry(digest(1), 5, digest(2), assignment),
                new IdleCache.Entry(digest(1), 5, null, assignment),
                new IdleCache.Entry(digest(1), 5, digest(2), null),
                new IdleCache.Entry(digest(1), 5, null, null)};
        for (IdleCache.Entry e : entries) {
            cache.put("d1", e, cache.stamp());
            assertThat(cache.get("d1")).isEqualTo(e);
        }
        cache.put("d2", new IdleCache.Entry(digest(-1), Long.MAX_VALUE, digest(Long.MIN_VALUE), assignment), cache.stamp());
        assertThat(cache.get("d2").tokenHash()).isEqualTo("0".repeat(48) + "f".repeat(16));
        assertThat(cache.get("d2").manifestHash()).isEqualTo("0".repeat(48) + "8" + "0".repeat(15));
    }

    /** Kept packed as bytes: what is not a lowercase hex SHA-256 digest is not kept (a lookup, never a wrong answer). */
    @Test
    void doesNotKeepAnEntryWhoseDigestsAreNotLowercaseHexSha256() {
        IdleCache cache = new IdleCache(10);
        AssignmentSource.Stored assignment = new AssignmentSource.Stored("assigned", digest(3), 42);
        String upper = "ABCDEF" + digest(1).substring(6);
        for (IdleCache.Entry e : new IdleCache.Entry[]{
                new IdleCache.Entry("t", 5, digest(2), assignment),
                new IdleCache.Entry(upper, 5, digest(2), assignment),
                new IdleCache.Entry(digest(1), 5, digest(2) + "0", assignment),
                new IdleCache.Entry(digest(1), 5, digest(2), new AssignmentSource.Stored("assigned", "zz", 42))}) {
            cache.put("d1", e, cache.stamp());
            assertThat(cache.get("d1")).as(e.toString()).isNull();
        }
        assertThat(cache.size()).isZero();
    }
}
