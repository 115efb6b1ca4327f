package dev.flotilla.server.rollouts;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

/**
 * {@code /api/v1/rollouts}: create, preview and act (operator), list and show (viewer). Actions are
 * {@code POST /api/v1/rollouts/{id}/ACTION} with ACTION one of start, pause, resume, abort, advance, approve,
 * retry.
 */
public final class RolloutRoutes {
    private RolloutRoutes() {
    }

    /** @param settle returns once every server answers check-ins from what is committed (CheckIns.settle) */
    public static void register(Routes routes, Rollouts rollouts, Runnable settle) {
        routes.operator(HandlerType.POST, "/api/v1/rollouts", Role.OPERATOR, (ctx, op) -> {
            Rollout created = rollouts.create(RolloutRequest.parse(JsonBody.of(ctx).node()), op.actor());
            settle.run();
            ctx.status(201).json(created);
        });
        routes.operator(HandlerType.POST, "/api/v1/rollouts/preview", Role.OPERATOR,
                (ctx, op) -> ctx.json(rollouts.preview(RolloutRequest.parse(JsonBody.of(ctx).node()))));
        routes.operator(HandlerType.GET, "/api/v1/rollouts", Role.VIEWER,
                (ctx, op) -> ctx.json(rollouts.list(Page.Request.from(ctx))));
        routes.operator(HandlerType.GET, "/api/v1/rollouts/{rolloutId}", Role.VIEWER,
                (ctx, op) -> ctx.json(rollouts.get(ctx.pathParam("rolloutId"))));
        for (String action : Rollouts.ACTIONS) {
            routes.operator(HandlerType.POST, "/api/v1/rollouts/{rolloutId}/" + action, Role.OPERATOR, (ctx, op) -> {
                Rollout after = rollouts.actions().act(ctx.pathParam("rolloutId"), action, op.actor());
                settle.run();
                ctx.json(after);
            });
        }
    }
}
