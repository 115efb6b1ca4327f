package dev.flotilla.server.devices;

import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the idle check-in reads per device, kept between check-ins (a {@link CacheFeed}
 * says when an entry is stale). Derived state only: the database stays the record, a lost or cleared cache
 * costs lookups, never answers.
 *
 * <p>A lookup that fills the cache takes a {@link #stamp()} before it reads the database and passes it to
 * {@link #put}; an entry is kept only if its device was not invalidated after that stamp (the read may
 * predate the change) and the stamp is not below the floor that {@link #clear()} and {@link #prune()} raise.
 * The checks run under the map's lock for the device, and invalidations record themselves before they
 * remove, so an invalidation that races with a put always wins.
 *
 * <p>An entry is kept packed (its three SHA-256 digests as bytes, not hex strings): about 250 bytes a device
 * with the map's own, where the strings took about 520. An entry whose digests are not lowercase hex SHA-256
 * (they always are) is not kept.
 */
final class IdleCache {
    /**
     * A device's check-in state as the one lookup read it: the hash of the token it was read for, when that
     * session ends (epoch ms), the stored manifest's envelope hash and the stored assignment row (either may
     * be null).
     */
    record Entry(String tokenHash, long sessionExpiresAt, String manifestHash, AssignmentSource.Stored assignment) {
    }

    private static final HexFormat HEX = HexFormat.of();
    private static final int DIGEST = 32;
    private static final byte HAS_MANIFEST = 1;
    private static final byte HAS_ASSIGNMENT = 2;

    /**
     * An {@link Entry} as kept: the token digest, then the manifest's and the assignment's when present
     * ({@code layout} says which), the assignment's status as the JVM's one copy of that string.
     */
    private record Packed(byte[] digests, byte layout, long sessionExpiresAt, String status, long assignmentExpiresAt) {
        static Packed of(Entry e) {
            AssignmentSource.Stored a = e.assignment();
            byte layout = (byte) ((e.manifestHash() == null ? 0 : HAS_MANIFEST) | (a == null ? 0 : HAS_ASSIGNMENT));
            byte[] digests = new byte[DIGEST * (1 + Integer.bitCount(layout))];
            int at = 0;
            for (String hex : new String[]{e.tokenHash(), e.manifestHash(), a == null ? null : a.hash()}) {
                if (hex != null) {
                    if (!isDigest(hex)) {
                        return null;
                    }
                    System.arraycopy(HEX.parseHex(hex), 0, digests, at, DIGEST);
                    at += DIGEST;
                }
            }
            return a == null ? new Packed(digests, layout, e.sessionExpiresAt(), null, 0)
                    : new Packed(digests, layout, e.sessionExpiresAt(), a.status().intern(), a.expiresAt());
        }

        Entry unpack() {
            int at = DIGEST;
            String manifest = null;
            if ((layout & HAS_MANIFEST) != 0) {
                manifest = HEX.formatHex(digests, at, at + DIGEST);
                at += DIGEST;
            }
            AssignmentSource.Stored assignment = (layout & HAS_ASSIGNMENT) == 0 ? null
                    : new AssignmentSource.Stored(status, HEX.formatHex(digests, at, at + DIGEST), assignmentExpiresAt);
            return new Entry(HEX.formatHex(digests, 0, DIGEST), sessionExpiresAt, manifest, assignment);
        }

        private static boolean isDigest(String hex) {
            if (hex.length() != 2 * DIGEST) {
                return false;
            }
            for (int i = 0; i < hex.length(); i++) {
                char c = hex.charAt(i);
                if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                    return false;
                }
            }
            return true;
        }
    }

    private final ConcurrentHashMap<String, Packed> byDevice = new ConcurrentHashMap<>();
    /** Device id to the generation of its latest invalidation (pruned by {@link #prune()}). */
    private final ConcurrentHashMap<String, Long> invalidated = new ConcurrentHashMap<>();
    /** Devices with a write not yet known to be committed ({@link #hold}): not cached meanwhile. */
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final int maxEntries;
    /** Puts stamped below this are dropped; only raised, under this object's lock. */
    private volatile long floor;
    /** The generation at the previous {@link #prune()}: the next prune raises the floor to it. */
    private long pruneMark;

    /** @param maxEntries devices kept at most; beyond that new devices are simply not cached */
    IdleCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    /** The stamp to pass to {@link #put} for a database read that begins now. */
    long stamp() {
        return generation.get();
    }

    /** The entry of {@code deviceId}, or null. */
    Entry get(String deviceId) {
        Packed p = byDevice.get(deviceId);
        return p == null ? null : p.unpack();
    }

    /** Keeps {@code entry}, read from the database after {@code stamp} was taken, unless it may be stale. */
    void put(String deviceId, Entry entry, long stamp) {
        if (stamp < floor || (byDevice.size() >= maxEntries && !byDevice.containsKey(deviceId))) {
            return;
        }
        Packed packed = Packed.of(entry);
        if (packed == null) {
            return;
        }
        // Decided under the map's lock for this key: an entry that may be stale is never visible, and an
        // invalidation that records itself after this check removes the entry after it was inserted.
        byDevice.compute(deviceId, (k, old) -> {
            Long last = invalidated.get(deviceId);
            return (last != null && last > stamp) || stamp < floor || held.containsKey(deviceId) ? old : packed;
        });
    }

    /** Forgets {@code deviceId}, and any read of it that began before this call. */
    void invalidate(String deviceId) {
        long g = generation.incrementAndGet();
        invalidated.merge(deviceId, g, Math::max);
        byDevice.remove(deviceId);
    }

    /**
     * Forgets {@code deviceId} and keeps it out until a matching {@link #release}: for a write seen before
     * its commit (an H2 trigger), when a read now would still see the old state.
     */
    void hold(String deviceId) {
        held.merge(deviceId, 1, Integer::sum);
        invalidate(deviceId);
    }

    /** Ends one {@link #hold} (its write committed or was rolled back), forgetting reads made meanwhile. */
    void release(String deviceId) {
        invalidate(deviceId);
        held.computeIfPresent(deviceId, (k, n) -> n == 1 ? null : n - 1);
    }

    /** Forgets every device, and every read that began before this call. */
    synchronized void clear() {
        floor = generation.incrementAndGet();
        byDevice.clear();
        invalidated.clear();
    }

    /**
     * Bounds the invalidation records: reads stamped before the previous prune are dropped from now on, so
     * the records older than that can go. Call it now and then (the feed does every 30 s): a read that takes
     * longer than that is simply not cached.
     */
    synchronized void prune() {
        long mark = pruneMark;
        pruneMark = generation.get();
        if (mark > floor) {
            floor = mark;
        }
        long f = floor;
        invalidated.values().removeIf(g -> g < f);
    }

    int size() {
        return byDevice.size();
    }
}
