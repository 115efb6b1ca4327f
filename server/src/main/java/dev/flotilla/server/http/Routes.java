package dev.flotilla.server.http;

import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.auth.Role;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

import java.util.Optional;
import java.util.function.Function;

/**
 * Registers routes with their access rule visible at the call site: {@link #open}, {@link #operator} with
 * the least role allowed, or {@link #device} for a device acting on its own {@code {deviceId}}.
 * Authentication happens here, before the handler runs; a refused request reaches no handler.
 */
public final class Routes {
    /** A handler for an authenticated operator. */
    @FunctionalInterface
    public interface OperatorHandler {
        void handle(Context ctx, Operator operator) throws Exception;
    }

    /** A handler for an authenticated device; {@code deviceId} is the caller's own id. */
    @FunctionalInterface
    public interface DeviceHandler {
        void handle(Context ctx, String deviceId) throws Exception;
    }

    /** What a device route's own authentication found: at least the caller's device id. */
    public interface DeviceCaller {
        String deviceId();
    }

    /** A handler for a device authenticated by a route-specific lookup that also read {@code C}. */
    @FunctionalInterface
    public interface DeviceCallerHandler<C extends DeviceCaller> {
        void handle(Context ctx, C caller) throws Exception;
    }

    /** Who called a route open to operators and devices alike: an operator of any role, or a device. */
    public sealed interface Caller {
    }

    /** An operator with a live API token. */
    public record OperatorCaller(Operator operator) implements Caller {
    }

    /** A device with an unexpired device token (its own id). */
    public record DeviceTokenCaller(String deviceId) implements Caller {
    }

    /** A handler for {@link #operatorOrDevice}; it decides what the caller may see. */
    @FunctionalInterface
    public interface CallerHandler {
        void handle(Context ctx, Caller caller) throws Exception;
    }

    private final RoutesConfig routes;
    private final Authenticator auth;

    public Routes(RoutesConfig routes, Authenticator auth) {
        this.routes = routes;
        this.auth = auth;
    }

    /** A route anyone may call (health, documents, enrollment and challenge steps that carry their own proof). */
    public void open(HandlerType method, String path, Handler handler) {
        routes.addHttpHandler(method, path, handler);
    }

    /** A management route for operator tokens whose role covers {@code least}. */
    public void operator(HandlerType method, String path, Role least, OperatorHandler handler) {
        routes.addHttpHandler(method, path, ctx -> {
            Operator op = auth.operator(bearer(ctx))
                    .orElseThrow(() -> ApiException.unauthenticated("a valid API token is required"));
            if (!op.role().covers(least)) {
                throw ApiException.forbidden("role " + op.role().wireName() + " may not do this; "
                        + least.wireName() + " or higher is required");
            }
            handler.handle(ctx, op);
        });
    }

    /**
     * A route for any operator (viewer or above) and any device, told apart by their token; a request with
     * neither gets 401 before the handler runs.
     */
    public void operatorOrDevice(HandlerType method, String path, CallerHandler handler) {
        routes.addHttpHandler(method, path, ctx -> {
            String bearer = bearer(ctx);
            Optional<Caller> caller = auth.operator(bearer).<Caller>map(OperatorCaller::new)
                    .or(() -> auth.device(bearer).map(DeviceTokenCaller::new));
            handler.handle(ctx, caller.orElseThrow(
                    () -> ApiException.unauthenticated("a valid API token or device token is required")));
        });
    }

    /**
     * A device route; {@code path} contains {@code {deviceId}}, and the device token must belong to that
     * device (another device's token gets 403).
     */
    public void device(HandlerType method, String path, DeviceHandler handler) {
        device(method, path, (bearer, deviceId) -> auth.device(bearer).map(id -> (DeviceCaller) () -> id),
                (ctx, caller) -> handler.handle(ctx, caller.deviceId()));
    }

    /**
     * A device route as {@link #device(HandlerType, String, DeviceHandler)}, whose token lookup
     * {@code authenticate} also reads what the handler needs (the check-in reads its idle state in the same
     * query). {@code authenticate} gets the bearer token and the device id of the path (a hint: a cache may
     * be keyed by it) and must find only the active device holding this unexpired token, exactly as
     * {@link Authenticator#device}; the same 401 and 403 rules apply.
     */
    public <C extends DeviceCaller> void device(HandlerType method, String path,
                                                java.util.function.BiFunction<String, String, Optional<C>> authenticate,
                                                DeviceCallerHandler<C> handler) {
        if (!path.contains("{deviceId}")) {
            throw new IllegalArgumentException("device route without {deviceId}: " + path);
        }
        routes.addHttpHandler(method, path, ctx -> {
            C caller = authenticate.apply(bearer(ctx), ctx.pathParam("deviceId"))
                    .orElseThrow(() -> ApiException.unauthenticated("a valid device token is required"));
            if (!caller.deviceId().equals(ctx.pathParam("deviceId"))) {
                throw ApiException.forbidden("a device may act only on its own data");
            }
            handler.handle(ctx, caller);
        });
    }

    private static String bearer(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthenticated("missing 'Authorization: Bearer' header");
        }
        return header.substring(7).trim();
    }
}
