package dev.flotilla.server.http;

import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.auth.Role;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

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
     * A device route; {@code path} contains {@code {deviceId}}, and the device token must belong to that
     * device (another device's token gets 403).
     */
    public void device(HandlerType method, String path, DeviceHandler handler) {
        if (!path.contains("{deviceId}")) {
            throw new IllegalArgumentException("device route without {deviceId}: " + path);
        }
        routes.addHttpHandler(method, path, ctx -> {
            String caller = auth.device(bearer(ctx))
                    .orElseThrow(() -> ApiException.unauthenticated("a valid device token is required"));
            if (!caller.equals(ctx.pathParam("deviceId"))) {
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
