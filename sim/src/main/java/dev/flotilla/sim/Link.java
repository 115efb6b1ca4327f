package dev.flotilla.sim;

import dev.flotilla.agent.net.ForwardingHttpClient;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One board's network link to the device API, over the fleet's shared client: up, or down (the cable pulled:
 * every request fails at once with a {@link ConnectException} and never reaches the server nor the fleet's
 * measured client). It counts the check-ins the server answered since the link last came up.
 */
final class Link extends ForwardingHttpClient {
    private volatile boolean down;
    private final AtomicInteger answeredCheckIns = new AtomicInteger();

    Link(HttpClient delegate) {
        super(delegate);
    }

    /** Takes the link down: the board's requests fail from now on. */
    void down() {
        down = true;
    }

    /** Brings the link back and starts counting answered check-ins from zero. */
    void up() {
        answeredCheckIns.set(0);
        down = false;
    }

    boolean isDown() {
        return down;
    }

    /** Check-ins the server answered (any status) since the link last came up. */
    int answeredCheckIns() {
        return answeredCheckIns.get();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        if (down) {
            throw new ConnectException("network down");
        }
        HttpResponse<T> r = delegate.send(request, handler);
        answered(request);
        return r;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        if (down) {
            return CompletableFuture.failedFuture(new ConnectException("network down"));
        }
        return delegate.sendAsync(request, handler).whenComplete((r, e) -> {
            if (e == null) {
                answered(request);
            }
        });
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> push) {
        if (down) {
            return CompletableFuture.failedFuture(new ConnectException("network down"));
        }
        return delegate.sendAsync(request, handler, push).whenComplete((r, e) -> {
            if (e == null) {
                answered(request);
            }
        });
    }

    private void answered(HttpRequest request) {
        if (!down && request.uri().getPath().endsWith("/checkin")) {
            answeredCheckIns.incrementAndGet();
        }
    }
}
