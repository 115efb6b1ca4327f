package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tls.CaBundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The default fetcher: plain HTTP(S) GET with connect and read timeouts, and a minimum average speed once a
 * grace period has passed (the slow-retrieval defence, see {@link MinimumSpeedStream}).
 */
public final class HttpFetcher implements Fetcher {
    /** Default minimum average speed after the grace period: 1 KiB/s. */
    public static final long DEFAULT_MIN_BYTES_PER_SECOND = 1024;
    /** Default grace period before the minimum speed applies. */
    public static final Duration DEFAULT_SPEED_GRACE = Duration.ofSeconds(10);

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final long minBytesPerSecond;
    private final Duration speedGrace;
    private final SSLContext tls;

    public HttpFetcher() {
        this(Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public HttpFetcher(Duration connectTimeout, Duration readTimeout) {
        this(connectTimeout, readTimeout, DEFAULT_MIN_BYTES_PER_SECOND, DEFAULT_SPEED_GRACE);
    }

    /**
     * @param minBytesPerSecond the lowest average speed accepted once {@code speedGrace} has passed since the
     *                          response started
     */
    public HttpFetcher(Duration connectTimeout, Duration readTimeout, long minBytesPerSecond, Duration speedGrace) {
        this(connectTimeout, readTimeout, minBytesPerSecond, speedGrace, null);
    }

    private HttpFetcher(Duration connectTimeout, Duration readTimeout, long minBytesPerSecond, Duration speedGrace,
                        SSLContext tls) {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.minBytesPerSecond = minBytesPerSecond;
        this.speedGrace = speedGrace;
        this.tls = tls;
    }

    /**
     * This fetcher, but HTTPS servers are checked against {@code tls}'s CAs (see
     * {@link dev.flotilla.core.tls.CaBundle}); null keeps the JDK's default trust store.
     */
    public HttpFetcher trusting(SSLContext tls) {
        return new HttpFetcher(connectTimeout, readTimeout, minBytesPerSecond, speedGrace, tls);
    }

    @Override
    public InputStream open(URI uri) {
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            CaBundle.apply(c, tls);
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            c.setInstanceFollowRedirects(true);
            c.setRequestProperty("User-Agent", "flotilla-tuf");
            int status = c.getResponseCode();
            if (status == 403 || status == 404) {
                drain(c);
                throw new DownloadError(DownloadError.Kind.NOT_FOUND, uri + " answered " + status);
            }
            if (status != 200) {
                drain(c);
                throw new DownloadError(DownloadError.Kind.HTTP_STATUS, uri + " answered " + status);
            }
            return new MinimumSpeedStream(c.getInputStream(), uri, minBytesPerSecond, speedGrace);
        } catch (SSLException e) {
            throw new DownloadError(DownloadError.Kind.IO, "fetching " + uri + ": " + CaBundle.describe(e), e);
        } catch (IOException | UncheckedIOException e) {
            throw new DownloadError(DownloadError.Kind.IO, "fetching " + uri + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new DownloadError(DownloadError.Kind.IO, "bad URL " + uri + ": " + e.getMessage(), e);
        }
    }

    private static void drain(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err != null) {
                err.readAllBytes();
            }
        } catch (IOException ignored) {
            // the status already says what matters
        }
    }
}
