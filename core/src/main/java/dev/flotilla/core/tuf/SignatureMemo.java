package dev.flotilla.core.tuf;

import dev.flotilla.core.crypto.Hex;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Signatures a client already found valid. A key, a signature and the signed bytes verify the same way every
 * time, so a client that checks its unchanged metadata again (each TUF refresh re-reads and re-verifies its
 * trusted files, and an idle device's timestamp rarely changes) can skip the public-key operation, the
 * costliest step of a refresh. It remembers the most recent {@code capacity} valid ones by the SHA-256 of
 * the key material ({@link Key#material()}), the signature and the data; anything else, a miss included, is
 * verified. Thread-safe; no public-key operation runs under its lock.
 */
public final class SignatureMemo {
    /** Remembers nothing: every signature is verified. */
    public static final SignatureMemo NONE = new SignatureMemo(0);

    private final int capacity;
    private final Map<String, Boolean> valid;
    private long hits;

    public SignatureMemo(int capacity) {
        this.capacity = capacity;
        this.valid = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > SignatureMemo.this.capacity;
            }
        };
    }

    /** Whether {@code signature} by {@code key} over {@code data} is valid, as {@link Key#verify}. */
    public boolean verifies(Key key, byte[] signature, byte[] data) {
        if (capacity == 0) {
            return key.verify(signature, data);
        }
        String id = id(key, signature, data);
        synchronized (valid) {
            if (valid.get(id) != null) {
                hits++;
                return true;
            }
        }
        boolean ok = key.verify(signature, data);
        if (ok) {
            synchronized (valid) {
                valid.put(id, Boolean.TRUE);
            }
        }
        return ok;
    }

    /** How many valid signatures it remembers now. */
    public int size() {
        synchronized (valid) {
            return valid.size();
        }
    }

    /** How many signatures it answered from memory, without a public-key operation, since it was made. */
    public long hits() {
        synchronized (valid) {
            return hits;
        }
    }

    private static String id(Key key, byte[] signature, byte[] data) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (byte[] part : new byte[][]{key.material().getBytes(StandardCharsets.UTF_8), signature, data}) {
            sha256.update(ByteBuffer.allocate(4).putInt(part.length).array());
            sha256.update(part);
        }
        return Hex.encode(sha256.digest());
    }
}
