package dev.flotilla.core.tuf.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Copies a stream but fails as soon as it exceeds a byte budget (the endless-data defence). */
final class DigestingCopy {
    private DigestingCopy() {
    }

    static long copy(InputStream in, OutputStream out, long maxLength, String what) throws IOException {
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > maxLength) {
                throw new DownloadError(DownloadError.Kind.TOO_LONG, what + " is longer than its signed length "
                        + maxLength);
            }
            out.write(buf, 0, n);
        }
        return total;
    }
}
