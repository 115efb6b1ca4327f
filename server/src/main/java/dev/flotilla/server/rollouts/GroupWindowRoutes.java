package dev.flotilla.server.rollouts;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.Routes;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

/**
 * {@code /api/v1/groups/{group}/maintenance-window}: show a device group's maintenance window (viewer), set it
 * with the body of a rollout's {@code policies.maintenanceWindow} or clear it (operator). See {@link GroupWindows}.
 */
public final class GroupWindowRoutes {
    private static final String PATH = "/api/v1/groups/{group}/maintenance-window";

    private GroupWindowRoutes() {
    }

    public static void register(Routes routes, GroupWindows windows) {
        routes.operator(HandlerType.GET, PATH, Role.VIEWER, (ctx, op) -> ctx.json(windows.get(group(ctx))));
        routes.operator(HandlerType.PUT, PATH, Role.OPERATOR, (ctx, op) -> {
            String group = group(ctx);
            Policies.Window window = Policies.Window.parse(JsonBody.of(ctx).node(), "maintenanceWindow", "invalid_window");
            ctx.json(windows.set(op.actor(), group, window));
        });
        routes.operator(HandlerType.DELETE, PATH, Role.OPERATOR,
                (ctx, op) -> ctx.json(windows.clear(op.actor(), group(ctx))));
    }

    private static String group(Context ctx) {
        return Limits.text("group", ctx.pathParam("group"), Limits.NAME);
    }
}
