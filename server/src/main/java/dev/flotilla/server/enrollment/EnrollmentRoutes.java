package dev.flotilla.server.enrollment;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

import java.time.Duration;
import java.util.Optional;

/** {@code /api/v1/enrollment-tokens}: create (secret shown once), list, revoke. Operator and above. */
public final class EnrollmentRoutes {
    private EnrollmentRoutes() {
    }

    public static void register(Routes routes, EnrollmentService service) {
        routes.operator(HandlerType.POST, "/api/v1/enrollment-tokens", Role.OPERATOR, (ctx, op) -> {
            JsonBody body = JsonBody.of(ctx);
            Optional<Long> seconds = body.optLong("validForSeconds")
                    .map(v -> Limits.positive("validForSeconds", v, Limits.VALID_FOR_SECONDS));
            ctx.status(201).json(service.create(op.actor(), body.string("description", Limits.NAME),
                    seconds.map(Duration::ofSeconds)));
        });
        routes.operator(HandlerType.GET, "/api/v1/enrollment-tokens", Role.OPERATOR,
                (ctx, op) -> ctx.json(service.list(Page.Request.from(ctx))));
        routes.operator(HandlerType.DELETE, "/api/v1/enrollment-tokens/{tokenId}", Role.OPERATOR,
                (ctx, op) -> ctx.json(service.revoke(op.actor(), ctx.pathParam("tokenId"))));
    }
}
