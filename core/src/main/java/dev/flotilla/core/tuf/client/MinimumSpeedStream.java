package dev.flotilla.core.tuf.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;

/**
 * The slow-retrieval defence (TUF specification, section 1.5.2): a server that drips bytes just fast enough
 * to beat every read timeout would otherwise hold the client forever. After a grace period, each read
 * checks the average speed since the stream was opened and fails with {@link DownloadError.Kind#IO} when it
 * is below the minimum (the end of the stream is never refused: every byte arrived). A single stalled read is
 * bounded by the socket's read timeout.
 */
final class MinimumSpeedStream extends FilterInputStream {
    private final URI uri;
    private final long minBytesPerSecond;
    private final long graceNanos;
    private final long start = System.nanoTime();
    private long bytes;

    MinimumSpeedStream(InputStream in, URI uri, long minBytesPerSecond, Duration grace) {
        super(in);
        this.uri = uri;
        this.minBytesPerSecond = minBytesPerSecond;
        this.graceNanos = grace.toNanos();
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    private void count(int n) {
        bytes += n;
        long elapsed = System.nanoTime() - start;
        if (elapsed > graceNanos && bytes * 1_000_000_000.0 / elapsed < minBytesPerSecond) {
            throw new DownloadError(DownloadError.Kind.IO, uri + " sent " + bytes + " bytes in "
                    + elapsed / 1_000_000 + " ms, slower than the minimum of " + minBytesPerSecond + " bytes/s");
        }
    }
}
