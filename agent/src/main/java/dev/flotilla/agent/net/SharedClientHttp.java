package dev.flotilla.agent.net;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * {@link DeviceHttp} through a JDK {@code HttpClient} that many agents share (one selector thread for a
 * simulated fleet); the body is read by {@link BoundedBody}, whose refusal comes out as {@link Refused} itself,
 * and the repeat {@link DeviceHttp#send} promises is made here.
 */
final class SharedClientHttp implements DeviceHttp {
    private final HttpClient client;

    SharedClientHttp(HttpClient client) {
        this.client = client;
    }

    static HttpClient client(SSLContext tls, ThreadFactory threads) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .executor(Executors.newThreadPerTaskExecutor(threads));
        if (tls != null) {
            b.sslContext(tls);
        }
        return b.build();
    }

    @Override
    public Answer send(Request request) throws IOException {
        try {
            return sendOnce(request);
        } catch (IOException e) {
            if (!closedBeforeAnswer(e)) {
                throw e;
            }
            return sendOnce(request);
        }
    }

    /**
     * Whether the connection closed before any byte of the answer: the JDK reports "header parser received no
     * bytes", or an EOF.
     */
    private static boolean closedBeforeAnswer(IOException e) {
        if (e instanceof ConnectException || e instanceof HttpTimeoutException || e instanceof SSLException
                || e instanceof Refused) {
            return false;
        }
        return e instanceof EOFException || e.getCause() instanceof EOFException
                || String.valueOf(e.getMessage()).contains("received no bytes");
    }

    private Answer sendOnce(Request request) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(request.uri()).timeout(request.timeout())
                .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach(b::header);
        try {
            HttpResponse<byte[]> r = client.send(b.build(),
                    BoundedBody.atMost(request.maxAnswerBytes(), request.timeout()));
            return new Answer(request.uri(), r.statusCode(), r.headers().firstValue("ETag"), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException e) {
            throw e.getCause() instanceof Refused refused ? refused : e;
        }
    }
}
