package dev.flotilla.agent.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An answer's body read into memory up to a byte cap: the first bytes beyond it cancel the response (the
 * connection is dropped, nothing more is read) and the body fails with {@link TooLong}. So a server, broken or
 * compromised, cannot make the agent buffer an endless answer until its heap runs out.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
    /** The answer was longer than the cap. */
    static final class TooLong extends IOException {
        TooLong(long max) {
            super("longer than " + max + " bytes");
        }
    }

    private final long max;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private BoundedBody(long max) {
        this.max = max;
    }

    /** A handler whose bodies are read up to {@code max} bytes; a longer one fails with {@link TooLong}. */
    static HttpResponse.BodyHandler<byte[]> atMost(long max) {
        return info -> new BoundedBody(max);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            if (bytes.size() + (long) b.remaining() > max) {
                subscription.cancel();
                body.completeExceptionally(new TooLong(max));
                return;
            }
            byte[] part = new byte[b.remaining()];
            b.get(part);
            bytes.writeBytes(part);
        }
    }

    @Override
    public void onError(Throwable t) {
        body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        body.complete(bytes.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }
}
