package dev.flotilla.core.tuf.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

/**
 * Opens a URL for reading. Implementations throw {@link DownloadError} (NOT_FOUND for 403/404); the size cap
 * is enforced by {@link #fetchBytes}, not by implementations, so that no fetcher can forget it.
 */
@FunctionalInterface
public interface Fetcher {
    /** Opens the resource; the caller closes the stream. */
    InputStream open(URI uri);

    /**
     * Reads the whole resource, failing with TOO_LONG as soon as more than {@code maxLength} bytes arrive.
     */
    default byte[] fetchBytes(URI uri, long maxLength) {
        try (InputStream in = open(uri)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxLength) {
                    throw new DownloadError(DownloadError.Kind.TOO_LONG, uri + " is longer than " + maxLength
                            + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new DownloadError(DownloadError.Kind.IO, "reading " + uri + ": " + e.getMessage(), e);
        }
    }
}
