package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

import java.util.Optional;

/**
 * The routes devices call, under {@code /api/v1/device}: enroll, enroll-challenge and enroll-proof (a device
 * that lost its enrollment's answer), challenge, token (open: each carries its own proof), then check-in and
 * events with the device token, each only for the caller's own id.
 */
public final class DeviceApiRoutes {
    private DeviceApiRoutes() {
    }

    public static void register(Routes routes, DeviceService devices, DeviceAuth auth, CheckIns checkIns,
                                DeviceEvents events, io.micrometer.core.instrument.MeterRegistry metrics) {
        io.micrometer.core.instrument.Timer latency = io.micrometer.core.instrument.Timer.builder("flotilla.checkin.latency")
                .description("check-in handling time").publishPercentiles(0.5, 0.99).register(metrics);
        io.micrometer.core.instrument.Counter full = io.micrometer.core.instrument.Counter.builder("flotilla.checkins")
                .tag("result", "answer").description("check-ins").register(metrics);
        io.micrometer.core.instrument.Counter notModified = io.micrometer.core.instrument.Counter.builder("flotilla.checkins")
                .tag("result", "not_modified").description("check-ins").register(metrics);
        io.micrometer.core.instrument.Counter cacheHit = io.micrometer.core.instrument.Counter.builder("flotilla.checkin.lookups")
                .tag("source", "cache").description("check-in token lookups answered by the idle cache")
                .register(metrics);
        io.micrometer.core.instrument.Counter cacheMiss = io.micrometer.core.instrument.Counter.builder("flotilla.checkin.lookups")
                .tag("source", "database").description("check-in token lookups answered by the database")
                .register(metrics);
        io.micrometer.core.instrument.Gauge.builder("flotilla.checkin.cache.devices", checkIns, CheckIns::cachedDevices)
                .description("devices whose idle check-in state this server holds").register(metrics);
        routes.open(HandlerType.POST, "/api/v1/device/enroll", ctx -> {
            JsonBody body = JsonBody.of(ctx);
            Device d = devices.enroll(new DeviceService.Enrollment(body.optString("enrollmentToken"),
                    DeviceKeys.parse(body.required("publicKey")), body.string("hardwareId", Limits.NAME),
                    attributes(body)));
            ctx.status(201).json(d);
        });
        // A device that lost its enrollment's answer proves it holds the key to learn which device it is.
        routes.open(HandlerType.POST, "/api/v1/device/enroll-challenge",
                ctx -> ctx.json(auth.enrollmentChallenge(DeviceKeys.parse(JsonBody.of(ctx).required("publicKey")))));
        routes.open(HandlerType.POST, "/api/v1/device/enroll-proof", ctx -> {
            JsonBody body = JsonBody.of(ctx);
            ctx.json(auth.enrolled(DeviceKeys.parse(body.required("publicKey")), body.string("nonce"),
                    signature(body)));
        });
        routes.open(HandlerType.POST, "/api/v1/device/{deviceId}/challenge",
                ctx -> ctx.json(auth.challenge(ctx.pathParam("deviceId"))));
        routes.open(HandlerType.POST, "/api/v1/device/{deviceId}/token", ctx -> {
            JsonBody body = JsonBody.of(ctx);
            ctx.json(auth.token(ctx.pathParam("deviceId"), body.string("nonce"), signature(body)));
        });
        // The check-in authenticates with its own lookup, which also reads the idle state (one query).
        routes.device(HandlerType.POST, "/api/v1/device/{deviceId}/checkin", checkIns::authenticate, (ctx, caller) -> {
            (caller.cached() ? cacheHit : cacheMiss).increment();
            long t0 = caller.lookupStartNanos();
            CheckIns.Result r = checkIns.checkIn(caller, ctx.bodyAsBytes(),
                    Optional.ofNullable(ctx.header("If-None-Match")));
            latency.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
            (r instanceof CheckIns.NotModified ? notModified : full).increment();
            ctx.header("ETag", r.etag());
            switch (r) {
                case CheckIns.NotModified nm -> ctx.status(304);
                case CheckIns.Answer a -> ctx.json(a.body());
            }
        });
        routes.device(HandlerType.POST, "/api/v1/device/{deviceId}/events", (ctx, deviceId) -> {
            ctx.json(events.record(deviceId, EventBatch.parse(JsonBody.of(ctx).node())));
        });
    }

    /** The {@code signature} field, hex. */
    private static byte[] signature(JsonBody body) {
        try {
            return Hex.decode(body.string("signature"));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("signature must be hex");
        }
    }

    /** An enrollment's {@code attributes} (an empty object when absent), at most {@link Limits#JSON_TEXT} as stored. */
    private static com.fasterxml.jackson.databind.node.ObjectNode attributes(JsonBody body) {
        com.fasterxml.jackson.databind.node.ObjectNode a = body.optObject("attributes")
                .orElse(JsonNodeFactory.instance.objectNode());
        Limits.text("attributes", DeviceStore.json(a), Limits.JSON_TEXT);
        return a;
    }
}
