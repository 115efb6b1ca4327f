package dev.flotilla.agent.net;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * For {@link SharedClientHttp}: an answer's body read into memory up to a byte cap and a deadline: the first
 * bytes beyond the cap, or the deadline passing before the body ended, cancel the response (the connection is
 * dropped, nothing more is read) and the body fails with {@link DeviceHttp.Refused} (the JDK's request timeout
 * stops at the headers).
 */
final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

    private final long max;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private volatile Flow.Subscription subscription;

    private BoundedBody(long max, Duration deadline) {
        this.max = max;
        // the timer is dropped as soon as the body ends, so that it holds nothing until the deadline
        CompletableFuture<Void> timer = new CompletableFuture<>();
        timer.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, late) -> {
            if (late != null) {
                refuse(DeviceHttp.Refused.notEndedWithin(deadline));
            }
        });
        body.whenComplete((b, e) -> timer.complete(null));
    }

    /**
     * A handler whose bodies are read up to {@code max} bytes and must end within {@code deadline} of the
     * headers; otherwise the body fails with {@link DeviceHttp.Refused}.
     */
    static HttpResponse.BodyHandler<byte[]> atMost(long max, Duration deadline) {
        return info -> new BoundedBody(max, deadline);
    }

    private void refuse(DeviceHttp.Refused why) {
        if (body.completeExceptionally(why)) {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (body.isDone()) {
            s.cancel();
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            if (bytes.size() + (long) b.remaining() > max) {
                refuse(DeviceHttp.Refused.longerThan(max));
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
