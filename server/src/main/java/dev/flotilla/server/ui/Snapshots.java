package dev.flotilla.server.ui;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Values that many requests ask for at once, taken at most once per freshness interval and shared: while a
 * key's value is being taken, other callers for that key wait for it instead of taking it again, and until it
 * is older than the age they accept they all get the same value. The dashboard's rollout pages (each
 * rollout's snapshot) use it, so that the cost of a page does not grow with the number of open pages (the
 * fleet summary, which no request should wait for, is served stale instead: {@link Revalidated}). Values not
 * asked for during {@code keep} are dropped.
 *
 * @param <K> what a value is taken for
 * @param <V> the value
 */
final class Snapshots<K, V> {
    /** Takes a key's value; {@code previous} is the last value taken for it, null at first or after a forget. */
    @FunctionalInterface
    interface Taker<K, V> {
        V take(K key, V previous);
    }

    private record Entry<V>(V value, long takenAt, long usedAt) {
    }

    private final Taker<K, V> taker;
    private final Duration keep;
    private final LongSupplier nanoTime;
    private final Map<K, Entry<V>> byKey = new ConcurrentHashMap<>();

    Snapshots(Duration keep, Taker<K, V> taker) {
        this(keep, taker, System::nanoTime);
    }

    /** As above, reading the time from {@code nanoTime} (as {@link System#nanoTime()} counts). */
    Snapshots(Duration keep, Taker<K, V> taker, LongSupplier nanoTime) {
        this.keep = keep;
        this.taker = taker;
        this.nanoTime = nanoTime;
    }

    /**
     * The key's value, taken again when older than {@code maxAge} ({@link Duration#ZERO}: always taken again).
     * What the taker throws reaches the caller, and no value is kept.
     */
    V get(K key, Duration maxAge) {
        long now = nanoTime.getAsLong();
        byKey.values().removeIf(e -> now - e.usedAt() > keep.toNanos());
        return byKey.compute(key, (k, old) -> {
            long at = nanoTime.getAsLong(); // after waiting for whoever took it meanwhile
            if (old != null && at - old.takenAt() < maxAge.toNanos()) {
                return new Entry<>(old.value(), old.takenAt(), at);
            }
            return new Entry<>(taker.take(k, old == null ? null : old.value()), at, at);
        }).value();
    }

    /** Forgets the key's value: the next {@link #get} takes it again, with no previous value. */
    void forget(K key) {
        byKey.remove(key);
    }
}
