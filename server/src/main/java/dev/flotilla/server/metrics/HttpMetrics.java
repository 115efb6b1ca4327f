package dev.flotilla.server.metrics;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Times every HTTP request into {@code http_server_requests_seconds} with the labels {@code method},
 * {@code route} (the matched route template such as {@code /api/v1/device/{deviceId}/checkin}, never the
 * raw path), {@code status} and {@code outcome} ({@code SUCCESS}, {@code CLIENT_ERROR}, ...). A request that
 * matched no route is labelled {@code route="unmatched"} and a method outside HTTP's common ones
 * {@code method="other"}, so that no caller can add label values: their number is bounded by the routes.
 */
public final class HttpMetrics {
    /** The metric's name in Micrometer's notation ({@code http_server_requests_seconds_*} in Prometheus). */
    public static final String NAME = "http.server.requests";
    /** The route label of a request no route matched (404s of unknown paths, among others). */
    public static final String UNMATCHED = "unmatched";
    private static final Duration[] BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private HttpMetrics() {
    }

    /** Records each request handled by the Javalin app being configured in {@code registry}. */
    public static void install(JavalinConfig cfg, MeterRegistry registry) {
        cfg.requestLogger.http((ctx, ms) -> record(registry, ctx, ms));
    }

    private static void record(MeterRegistry registry, Context ctx, Float ms) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        int status = ctx.statusCode();
        Timer.builder(NAME)
                .description("HTTP requests by method, route template and status")
                .tag("method", endpoint != null ? endpoint.method.name() : method(ctx.method()))
                .tag("route", endpoint != null ? endpoint.path : UNMATCHED)
                .tag("status", Integer.toString(status))
                .tag("outcome", outcome(status))
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record((long) (ms * 1_000_000L), TimeUnit.NANOSECONDS);
    }

    private static String method(HandlerType method) {
        return HandlerType.commonHttp().contains(method) ? method.name() : "other";
    }

    static String outcome(int status) {
        return switch (status / 100) {
            case 1 -> "INFORMATIONAL";
            case 2 -> "SUCCESS";
            case 3 -> "REDIRECTION";
            case 4 -> "CLIENT_ERROR";
            case 5 -> "SERVER_ERROR";
            default -> "UNKNOWN";
        };
    }
}
