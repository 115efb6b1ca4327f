package dev.flotilla.server.artifacts;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;

/**
 * Reads an object's bytes for {@link ArtifactStore#put}: hashes them (sha256, sha512) and counts them,
 * refusing more than a limit. The one copy loop both stores share.
 */
final class HashingReader {
    private final InputStream in;
    private final long maxBytes;
    private final MessageDigest sha256 = Digests.create("sha256");
    private final MessageDigest sha512 = Digests.create("sha512");
    private long total;

    HashingReader(InputStream in, long maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /**
     * Fills {@code buf} from {@code off} as far as the input goes; returns how many bytes were read (fewer than
     * asked only at the end of the input, -1 when it had already ended).
     *
     * @throws ArtifactTooLargeException beyond the limit
     * @throws UncheckedIOException when the input fails (a client that went away): not the store's failure
     */
    int fill(byte[] buf, int off, int len) {
        int got = 0;
        while (got < len) {
            int n;
            try {
                n = in.read(buf, off + got, len - got);
            } catch (IOException e) {
                throw new UncheckedIOException("reading the image: " + e.getMessage(), e);
            }
            if (n < 0) {
                break;
            }
            total += n;
            if (total > maxBytes) {
                throw new ArtifactTooLargeException(maxBytes);
            }
            sha256.update(buf, off + got, n);
            sha512.update(buf, off + got, n);
            got += n;
        }
        return got == 0 && len > 0 ? -1 : got;
    }

    /** What was read, once the input has ended. */
    ArtifactStore.Stored stored() {
        return new ArtifactStore.Stored(total, Hex.encode(sha256.digest()), Hex.encode(sha512.digest()));
    }
}
