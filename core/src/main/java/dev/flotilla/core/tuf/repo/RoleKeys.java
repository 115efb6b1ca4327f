package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.tuf.Key;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The keys of one role and how many of them must sign. */
public record RoleKeys(List<Key> keys, int threshold) {
    /** @throws IllegalArgumentException when the threshold is not in 1..number of distinct keys */
    public RoleKeys {
        keys = List.copyOf(keys);
        long distinct = keys.stream().map(Key::keyId).distinct().count();
        if (distinct != keys.size()) {
            throw new IllegalArgumentException("the same key is listed twice");
        }
        if (threshold < 1 || threshold > keys.size()) {
            throw new IllegalArgumentException("threshold " + threshold + " must be between 1 and the number of keys ("
                    + keys.size() + ")");
        }
    }

    public static RoleKeys of(int threshold, Key... keys) {
        return new RoleKeys(List.of(keys), threshold);
    }

    public List<String> keyids() {
        return keys.stream().map(Key::keyId).toList();
    }

    /** Key id to key, in order. */
    public Map<String, Key> byKeyId() {
        Map<String, Key> m = new LinkedHashMap<>();
        keys.forEach(k -> m.put(k.keyId(), k));
        return m;
    }
}
