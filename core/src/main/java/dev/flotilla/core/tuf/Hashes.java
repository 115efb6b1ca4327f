package dev.flotilla.core.tuf;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;

import java.security.MessageDigest;
import java.util.Map;

/** Checks data against a TUF hashes object. */
public final class Hashes {
    private Hashes() {
    }

    /**
     * Every listed algorithm Flotilla supports must match, and at least one must be supported.
     *
     * @throws RepositoryError LENGTH_OR_HASH_MISMATCH when any hash differs or none can be computed
     */
    public static void verify(Map<String, String> expected, byte[] data, String what) {
        boolean any = false;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            if (!Digests.isSupported(e.getKey())) {
                continue;
            }
            any = true;
            String actual = Hex.encode(Digests.create(e.getKey()).digest(data));
            check(e.getKey(), e.getValue(), actual, what);
        }
        if (!any) {
            throw new RepositoryError(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH,
                    what + ": no supported hash algorithm in " + expected.keySet());
        }
    }

    static void check(String algorithm, String expected, String actual, String what) {
        if (!MessageDigest.isEqual(expected.toLowerCase(java.util.Locale.ROOT).getBytes(), actual.getBytes())) {
            throw new RepositoryError(RepositoryError.Reason.LENGTH_OR_HASH_MISMATCH,
                    what + ": " + algorithm + " expected " + expected + ", got " + actual);
        }
    }
}
