package dev.flotilla.sim;

import dev.flotilla.agent.net.ForwardingHttpClient;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The boards' shared HTTP client, measured: every request the agents make to the device API (enrollment,
 * log-in, check-ins, event reports; images and TUF metadata are fetched over other connections) passes
 * through it, and it counts them by kind (the last segment of the path: {@code checkin}, {@code events},
 * {@code challenge}, {@code token}, {@code enroll}...), the failures by reason (the 5xx status, or the
 * exception's class and message when there was no answer), the refusals (4xx) by kind and status, and the
 * latency of each check-in (from sending the request to the answer's body read, in steps of
 * {@value #STEP_MICROS} µs up to {@value #MAX_SECONDS} s). It changes nothing the agents see.
 */
final class MeasuredHttp extends ForwardingHttpClient {
    static final int STEP_MICROS = 100;
    static final int MAX_SECONDS = 60;
    private static final int BUCKETS = MAX_SECONDS * 1_000_000 / STEP_MICROS + 1;
    static final int MAX_MESSAGE = 80;
    /** Distinct failure reasons kept; further ones are counted as {@code KIND other}. */
    static final int MAX_REASONS = 32;

    /** What the boards' requests looked like over the run. */
    record Figures(long requests, long failed, long checkIns, double checkInP50Millis, double checkInP99Millis,
                   double checkInMaxMillis, Map<String, Long> byKind, Map<String, Long> failures,
                   Map<String, Long> refusals) {
    }

    private final LongAdder requests = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder checkIns = new LongAdder();
    private final AtomicLongArray latency = new AtomicLongArray(BUCKETS);
    private final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();

    MeasuredHttp(HttpClient delegate) {
        super(delegate);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        long started = System.nanoTime();
        try {
            HttpResponse<T> r = delegate.send(request, handler);
            done(request, r.statusCode(), null, started);
            return r;
        } catch (IOException e) {
            done(request, 0, e, started);
            throw e;
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                            HttpResponse.BodyHandler<T> handler) {
        long started = System.nanoTime();
        return delegate.sendAsync(request, handler)
                .whenComplete((r, e) -> done(request, e == null ? r.statusCode() : 0, e, started));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> push) {
        long started = System.nanoTime();
        return delegate.sendAsync(request, handler, push)
                .whenComplete((r, e) -> done(request, e == null ? r.statusCode() : 0, e, started));
    }

    /** Counts one request that ended with {@code status}, or with {@code error} and no answer (status 0). */
    private void done(HttpRequest request, int status, Throwable error, long startedNanos) {
        requests.increment();
        String path = request.uri().getPath();
        String kind = path.substring(path.lastIndexOf('/') + 1);
        kinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
        if (status == 0 || status >= 500) {
            failed.increment();
            Throwable cause = error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : error;
            String why = status != 0 ? Integer.toString(status) : reason(cause);
            String key = failures.size() < MAX_REASONS || failures.containsKey(kind + " " + why)
                    ? kind + " " + why : kind + " other";
            failures.computeIfAbsent(key, k -> new LongAdder()).increment();
        }
        if (status >= 400 && status < 500) {
            refusals.computeIfAbsent(kind + " " + status, k -> new LongAdder()).increment();
        }
        if (kind.equals("checkin") && status != 0) {
            checkIns.increment();
            long step = (System.nanoTime() - startedNanos) / 1000 / STEP_MICROS;
            latency.incrementAndGet((int) Math.min(step, BUCKETS - 1));
        }
    }

    /** The figures so far. */
    Figures figures() {
        long[] counts = new long[BUCKETS];
        long total = 0;
        int max = -1;
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] = latency.get(i);
            total += counts[i];
            max = counts[i] > 0 ? i : max;
        }
        return new Figures(requests.sum(), failed.sum(), total, millis(percentile(counts, total, 0.50)),
                millis(percentile(counts, total, 0.99)), millis(max), sums(kinds), sums(failures),
                sums(refusals));
    }

    /** The exception's class and message, the message cut to {@value #MAX_MESSAGE} characters. */
    static String reason(Throwable cause) {
        if (cause == null) {
            return "no answer";
        }
        String message = cause.getMessage() == null ? "" : cause.getMessage().strip();
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + "...";
        }
        return message.isEmpty() ? cause.getClass().getSimpleName() : cause.getClass().getSimpleName() + ": " + message;
    }

    private static Map<String, Long> sums(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The bucket holding the {@code q} quantile (the least bucket with at least q of the samples at or below it). */
    static int percentile(long[] counts, long total, double q) {
        if (total == 0) {
            return -1;
        }
        long need = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= need) {
                return i;
            }
        }
        return counts.length - 1;
    }

    /** The upper edge of bucket {@code i} in milliseconds (0 when there are no samples). */
    private static double millis(int bucket) {
        return bucket < 0 ? 0 : (bucket + 1) * STEP_MICROS / 1000.0;
    }
}
