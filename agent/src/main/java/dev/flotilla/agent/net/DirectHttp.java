package dev.flotilla.agent.net;

import dev.flotilla.core.tls.CaBundle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;

/**
 * {@link DeviceHttp} over the JDK's {@code HttpURLConnection}: the calling thread sends and reads, and the JDK
 * keeps the connection alive for the next request once an answer has been read to its end. The JDK itself sends a
 * request once more on a fresh connection when the connection failed before the answer's headers, other than by
 * the timeout (its {@code sun.net.http.retryPost}, true unless set otherwise): the repeat {@link DeviceHttp#send}
 * promises. The body is buffered and sent with its length, not streamed: in streaming mode the JDK drops a 401's
 * body, which holds the server's error code. The headers must come within the timeout (a virtual thread closes
 * the connection when it has passed); each read of the body waits at most the timeout too, and the body is
 * refused once its headers are older than the timeout, or at the first read past the cap. A refused or broken
 * answer's connection is closed, not reused.
 */
final class DirectHttp implements DeviceHttp {
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    private static final int CHUNK = 8192;

    private final SSLContext tls;

    DirectHttp(SSLContext tls) {
        this.tls = tls;
    }

    @Override
    public Answer send(Request request) throws IOException {
        HttpURLConnection c = (HttpURLConnection) request.uri().toURL().openConnection();
        try {
            int status = exchange(c, request);
            long deadline = System.nanoTime() + request.timeout().toNanos();
            byte[] body;
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                body = in == null ? new byte[0] : read(in, request, deadline);
            }
            return new Answer(request.uri(), status, Optional.ofNullable(c.getHeaderField("ETag")), body);
        } catch (IOException | RuntimeException e) {
            c.disconnect();
            throw e;
        }
    }

    /** Sets the connection up, sends the request and waits for the answer's headers; returns the status. */
    private int exchange(HttpURLConnection c, Request request) throws IOException {
        CaBundle.apply(c, tls);
        c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
        c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, request.timeout().toMillis()));
        c.setRequestMethod(request.method());
        c.setRequestProperty("Accept", "application/json");
        request.headers().forEach(c::setRequestProperty);
        if (request.body() != null) {
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                out.write(request.body());
            }
        }
        return status(c, request.timeout());
    }

    /**
     * Waits for the answer's headers, at most {@code timeout} in all: the read timeout bounds each wait for a
     * byte, not a server that sends its headers a byte at a time, so a virtual thread closes the connection when
     * the time is up.
     */
    private static int status(HttpURLConnection c, Duration timeout) throws IOException {
        AtomicBoolean settled = new AtomicBoolean(); // by the headers, or by the watchdog: whichever comes first
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException answered) {
                return;
            }
            if (settled.compareAndSet(false, true)) {
                c.disconnect();
            }
        });
        try {
            int status = c.getResponseCode();
            if (settled.compareAndSet(false, true)) {
                return status;
            }
        } catch (IOException e) {
            if (settled.compareAndSet(false, true)) {
                throw e;
            }
        } finally {
            watchdog.interrupt();
        }
        throw new SocketTimeoutException("no answer within " + timeout.toSeconds() + " s");
    }

    private static byte[] read(InputStream in, Request request, long deadline) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[CHUNK];
        try {
            for (int n = in.read(chunk); n != -1; n = in.read(chunk)) {
                if (out.size() + (long) n > request.maxAnswerBytes()) {
                    throw Refused.longerThan(request.maxAnswerBytes());
                }
                out.write(chunk, 0, n);
                if (System.nanoTime() - deadline > 0) {
                    throw Refused.notEndedWithin(request.timeout());
                }
            }
        } catch (SocketTimeoutException e) {
            throw Refused.notEndedWithin(request.timeout());
        }
        return out.toByteArray();
    }
}
