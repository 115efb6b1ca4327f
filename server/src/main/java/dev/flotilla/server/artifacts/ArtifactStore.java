package dev.flotilla.server.artifacts;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where release images are kept: a directory of the server ({@link LocalArtifactStore}, the default) or
 * S3-compatible object storage ({@link S3ArtifactStore}). The server touches image bytes only through this
 * port. A key is a relative name such as {@code artifacts/upl_...}; an object under a key is written once
 * and never changed. Every method throws {@link ArtifactStoreException} when the store cannot do it.
 */
public interface ArtifactStore extends AutoCloseable {
    /** What a key may look like: relative, no {@code ..}, no empty segment. */
    Pattern KEY = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");

    /** An object stored by {@link #put}: its length and hashes (lower-case hex). */
    record Stored(long length, String sha256, String sha512) {
    }

    /**
     * Streams {@code in} to a new object under {@code key}, hashing it on the way and never holding more than
     * a buffer of it in memory. The object appears whole or not at all: on any failure (including
     * {@link ArtifactTooLargeException} beyond {@code maxBytes}, or {@code in} failing) nothing is left under
     * {@code key}.
     */
    Stored put(String key, InputStream in, long maxBytes);

    /** The {@code count} bytes of the object under {@code key} from byte {@code first}. */
    InputStream open(String key, long first, long count);

    /** The length of the object under {@code key}; {@link ArtifactStoreException} when there is none. */
    long size(String key);

    /** Removes the object under {@code key}, if there is one. */
    void delete(String key);

    /**
     * A URL from which anyone holding it may download the object for {@code ttl} (a presigned URL), when the
     * store can give one; the local directory cannot.
     */
    Optional<URI> downloadUrl(String key, Duration ttl);

    /** Where the objects are, for messages and logs (never a credential). */
    String describe();

    @Override
    void close();

    /** {@code key} when it is a valid key. @throws IllegalArgumentException otherwise */
    static String requireKey(String key) {
        if (key == null || !KEY.matcher(key).matches() || key.contains("..")) {
            throw new IllegalArgumentException("invalid artifact key: " + key);
        }
        return key;
    }
}
