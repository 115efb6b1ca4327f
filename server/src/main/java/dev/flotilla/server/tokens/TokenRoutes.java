package dev.flotilla.server.tokens;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

/** {@code /api/v1/tokens}: create (secret shown once), list, revoke. Admin only. */
public final class TokenRoutes {
    private TokenRoutes() {
    }

    public static void register(Routes routes, TokenService tokens) {
        routes.operator(HandlerType.POST, "/api/v1/tokens", Role.ADMIN, (ctx, op) -> {
            JsonBody body = JsonBody.of(ctx);
            String roleName = body.string("role");
            Role role = Role.fromWireName(roleName)
                    .orElseThrow(() -> ApiException.invalid("unknown role '" + roleName + "'"));
            ctx.status(201).json(tokens.create(op.actor(), body.string("name"), role));
        });
        routes.operator(HandlerType.GET, "/api/v1/tokens", Role.ADMIN,
                (ctx, op) -> ctx.json(tokens.list(Page.Request.from(ctx))));
        routes.operator(HandlerType.DELETE, "/api/v1/tokens/{tokenId}", Role.ADMIN,
                (ctx, op) -> ctx.json(tokens.revoke(op.actor(), ctx.pathParam("tokenId"))));
    }
}
