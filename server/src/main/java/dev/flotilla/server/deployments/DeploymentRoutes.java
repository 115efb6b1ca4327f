package dev.flotilla.server.deployments;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

/** {@code /api/v1/deployments}: create and cancel (operator), list and show (viewer). */
public final class DeploymentRoutes {
    private DeploymentRoutes() {
    }

    public static void register(Routes routes, Deployments deployments) {
        routes.operator(HandlerType.POST, "/api/v1/deployments", Role.OPERATOR, (ctx, op) -> ctx.status(201)
                .json(deployments.create(DeploymentRequest.parse(JsonBody.of(ctx).node()), op.actor())));
        routes.operator(HandlerType.GET, "/api/v1/deployments", Role.VIEWER,
                (ctx, op) -> ctx.json(deployments.list(Page.Request.from(ctx))));
        routes.operator(HandlerType.GET, "/api/v1/deployments/{deploymentId}", Role.VIEWER,
                (ctx, op) -> ctx.json(deployments.get(ctx.pathParam("deploymentId"))));
        routes.operator(HandlerType.POST, "/api/v1/deployments/{deploymentId}/cancel", Role.OPERATOR,
                (ctx, op) -> ctx.json(deployments.cancel(ctx.pathParam("deploymentId"), op.actor())));
    }
}
