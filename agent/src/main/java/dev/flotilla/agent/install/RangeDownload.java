package dev.flotilla.agent.install;

import dev.flotilla.agent.time.Sleeper;
import dev.flotilla.core.tls.CaBundle;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * An image's bytes from {@code offset} to its signed length, over HTTP with {@code Range} requests. When
 * the connection breaks, it reconnects with a Range from the byte it reached, at most {@code maxRetries}
 * times in a row (a read that makes progress resets the count), then fails with the last error. It never
 * returns more than {@code length - offset} bytes; a server that sends more is cut off, one that ignores
 * the Range (answers 200) is skipped forward, and a 206 that starts elsewhere is refused. Against slow
 * retrieval, a connection whose average speed is below a minimum once a grace period has passed is dropped
 * and counted as a slow connection; such strikes are not reset by progress, so a server that drips bytes
 * just fast enough to beat the read timeout ends the download after {@code maxRetries + 1} of them. Hashing is the
 * caller's job: the agent hashes the whole slot after the download, so a resumed download is verified end
 * to end. With a {@link Bearer} (the update server serves an image only to a device assigned it), every
 * connection carries the device token, and a 401 (the token expired mid-download) renews it once per
 * connection. A redirect (301, 302, 303, 307, 308; at most {@value #MAX_REDIRECTS} in a row, as the server
 * sends to a presigned object-store URL or a mirror) is followed with the same Range but without the token,
 * which is for the update server only; every reconnect starts again from {@code url}, so an expired
 * presigned URL is replaced by a fresh one. The pause before a reconnect is taken on the agent's
 * {@link Sleeper} ({@link #pausingOn}); a connection's speed is measured on the real monotonic clock, since
 * the bytes cross a real network.
 */
public final class RangeDownload extends InputStream {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    /** The most redirects followed for one connection. */
    public static final int MAX_REDIRECTS = 5;

    private final URI url;
    private final long length;
    private final int maxRetries;
    private final Duration retryDelay;
    private final Duration timeout;
    /** The device token to send; {@code renew} after the server answered 401. */
    @FunctionalInterface
    public interface Bearer {
        String token(boolean renew) throws IOException;
    }

    private SSLContext tls;
    private Bearer bearer;
    private Sleeper sleeper = Sleeper.SYSTEM;
    private long pos;
    private InputStream in;
    private HttpURLConnection connection;
    private int failures;
    private final long minBytesPerSecond;
    private final long graceNanos;
    private long connectedAt;
    private long connectionBytes;
    private int slowStrikes;

    /** Default minimum average speed per connection after the grace period: 1 KiB/s. */
    public static final long DEFAULT_MIN_BYTES_PER_SECOND = 1024;
    /** Default grace period of a connection before the minimum speed applies. */
    public static final Duration DEFAULT_SPEED_GRACE = Duration.ofSeconds(10);

    public RangeDownload(URI url, long offset, long length, int maxRetries, Duration retryDelay, Duration timeout) {
        this(url, offset, length, maxRetries, retryDelay, timeout, DEFAULT_MIN_BYTES_PER_SECOND, DEFAULT_SPEED_GRACE);
    }

    public RangeDownload(URI url, long offset, long length, int maxRetries, Duration retryDelay, Duration timeout,
                         long minBytesPerSecond, Duration speedGrace) {
        if (offset < 0 || offset > length) {
            throw new IllegalArgumentException("offset " + offset + " outside 0.." + length);
        }
        this.url = url;
        this.pos = offset;
        this.length = length;
        this.maxRetries = maxRetries;
        this.retryDelay = retryDelay;
        this.timeout = timeout;
        this.minBytesPerSecond = minBytesPerSecond;
        this.graceNanos = speedGrace.toNanos();
    }

    /** Bytes of the image delivered so far (including the starting offset). */
    public long position() {
        return pos;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (pos >= length) {
            return -1;
        }
        int want = (int) Math.min(len, length - pos);
        while (true) {
            try {
                if (in == null) {
                    connect();
                }
                int n = in.read(b, off, want);
                if (n < 0) {
                    throw new IOException("connection ended at byte " + pos + " of " + length);
                }
                pos += n;
                failures = 0;
                connectionBytes += n;
                long elapsed = System.nanoTime() - connectedAt;
                if (elapsed > graceNanos && connectionBytes * 1_000_000_000.0 / elapsed < minBytesPerSecond) {
                    close();
                    if (++slowStrikes > maxRetries) {
                        throw new NotRetryable("download of " + url + " is slower than " + minBytesPerSecond
                                + " bytes/s on " + slowStrikes + " connections (at byte " + pos + ")");
                    }
                }
                return n;
            } catch (NotRetryable e) {
                close();
                throw e;
            } catch (IOException e) {
                close();
                if (++failures > maxRetries) {
                    throw new IOException("download of " + url + " failed at byte " + pos + " after " + maxRetries
                            + " retries: " + e.getMessage(), e);
                }
                pause();
            }
        }
    }

    /** Checks an HTTPS server against {@code ctx}'s CAs instead of the JDK's (call before the first read). */
    public RangeDownload trusting(SSLContext ctx) {
        this.tls = ctx;
        return this;
    }

    /** Waits before a reconnect on {@code sleeper} instead of the real clock (call before the first read). */
    public RangeDownload pausingOn(Sleeper sleeper) {
        this.sleeper = sleeper;
        return this;
    }

    /** Sends the device token from {@code bearer} on every connection (call before the first read). */
    public RangeDownload authorizing(Bearer bearer) {
        this.bearer = bearer;
        return this;
    }

    private void connect() throws IOException {
        int status = open(url, false);
        if (status == 401 && bearer != null) {
            close();
            status = open(url, true);
        }
        status = followRedirects(status);
        HttpURLConnection c = connection;
        if (status == 404 || status == 403 || status == 410 || status == 401) {
            throw new NotRetryable(url + " answered " + status);
        }
        if (status == 206) {
            Matcher m = CONTENT_RANGE.matcher(c.getHeaderField("Content-Range") == null ? ""
                    : c.getHeaderField("Content-Range"));
            if (!m.matches() || Long.parseLong(m.group(1)) != pos) {
                throw new NotRetryable(url + " answered a range that does not start at " + pos + ": "
                        + c.getHeaderField("Content-Range"));
            }
            in = c.getInputStream();
        } else if (status == 200) {
            in = c.getInputStream();
            in.skipNBytes(pos); // the server ignored the Range
        } else {
            throw new IOException(url + " answered " + status);
        }
    }

    /** Follows up to {@link #MAX_REDIRECTS} redirects from the open connection; returns the final status. */
    private int followRedirects(int status) throws IOException {
        for (int hops = 0; status == 301 || status == 302 || status == 303 || status == 307 || status == 308; hops++) {
            String location = connection.getHeaderField("Location");
            if (location == null || hops == MAX_REDIRECTS) {
                throw new NotRetryable(url + ": " + (location == null ? "a redirect without a Location"
                        : "more than " + MAX_REDIRECTS + " redirects"));
            }
            URI next;
            try {
                next = connection.getURL().toURI().resolve(location);
            } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                throw new NotRetryable(url + ": a redirect to an invalid URL: " + location);
            }
            if (!"http".equals(next.getScheme()) && !"https".equals(next.getScheme())) {
                throw new NotRetryable(url + ": a redirect to a URL that is not http(s): " + location);
            }
            close();
            status = open(next, false);
        }
        return status;
    }

    /** Opens a connection to {@code to} from {@link #pos}; the token goes only to {@link #url}. */
    private int open(URI to, boolean renewToken) throws IOException {
        HttpURLConnection c = (HttpURLConnection) to.toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        CaBundle.apply(c, tls);
        c.setConnectTimeout((int) timeout.toMillis());
        c.setReadTimeout((int) timeout.toMillis());
        if (pos > 0) {
            c.setRequestProperty("Range", "bytes=" + pos + "-");
        }
        if (bearer != null && to.equals(url)) {
            c.setRequestProperty("Authorization", "Bearer " + bearer.token(renewToken));
        }
        connection = c;
        connectedAt = System.nanoTime();
        connectionBytes = 0;
        return c.getResponseCode();
    }

    private void pause() throws IOException {
        try {
            sleeper.sleep(retryDelay.multipliedBy(Math.min(failures, 10)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing a broken connection
            }
            in = null;
        }
        if (connection != null) {
            connection.disconnect();
            connection = null;
        }
    }

    /** A failure a retry cannot fix. */
    static final class NotRetryable extends IOException {
        NotRetryable(String message) {
            super(message);
        }
    }
}
