package dev.flotilla.server.rollouts;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.QueryParams;
import io.javalin.http.HandlerType;

import java.util.List;

/**
 * {@code /api/v1/rollouts}: create, preview and act (operator), list (by state), show and list a rollout's
 * devices (viewer). Actions are
 * {@code POST /api/v1/rollouts/{id}/ACTION} with ACTION one of start, pause, resume, abort, advance, approve,
 * retry.
 */
public final class RolloutRoutes {
    private RolloutRoutes() {
    }

    public static void register(Routes routes, Rollouts rollouts) {
        routes.operator(HandlerType.POST, "/api/v1/rollouts", Role.OPERATOR, (ctx, op) -> ctx.status(201)
                .json(rollouts.create(RolloutRequest.parse(JsonBody.of(ctx).node()), op.actor())));
        routes.operator(HandlerType.POST, "/api/v1/rollouts/preview", Role.OPERATOR,
                (ctx, op) -> ctx.json(rollouts.preview(RolloutRequest.parse(JsonBody.of(ctx).node()))));
        routes.operator(HandlerType.GET, "/api/v1/rollouts", Role.VIEWER,
                (ctx, op) -> ctx.json(rollouts.list(Page.Request.from(ctx, "state"), ctx.queryParam("state"))));
        routes.operator(HandlerType.GET, "/api/v1/rollouts/{rolloutId}", Role.VIEWER,
                (ctx, op) -> ctx.json(rollouts.get(ctx.pathParam("rolloutId"))));
        routes.operator(HandlerType.GET, "/api/v1/rollouts/{rolloutId}/devices", Role.VIEWER, (ctx, op) -> {
            QueryParams.requireOnly(ctx, List.of("state", "after", "limit"));
            ctx.json(rollouts.devices(ctx.pathParam("rolloutId"), ctx.queryParam("state"), ctx.queryParam("after"),
                    limit(ctx)));
        });
        for (String action : Rollouts.ACTIONS) {
            routes.operator(HandlerType.POST, "/api/v1/rollouts/{rolloutId}/" + action, Role.OPERATOR,
                    (ctx, op) -> ctx.json(rollouts.actions().act(ctx.pathParam("rolloutId"), action, op.actor())));
        }
    }

    private static int limit(io.javalin.http.Context ctx) {
        String raw = ctx.queryParam("limit");
        if (raw == null || raw.isBlank()) {
            return Page.DEFAULT_LIMIT;
        }
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new DomainError.Invalid("invalid_request", "query parameter 'limit' must be an integer");
        }
    }
}
