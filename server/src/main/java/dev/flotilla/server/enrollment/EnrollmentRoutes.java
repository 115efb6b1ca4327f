package dev.flotilla.server.enrollment;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.JsonBody;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;

import java.time.Duration;
import java.util.Optional;

/**
 * {@code /api/v1/enrollment-tokens}: create (secret shown once; {@code description}, {@code validForSeconds},
 * {@code maxUses} or {@code fleetWide}), list (with each token's uses), revoke. Operator and above.
 */
public final class EnrollmentRoutes {
    private EnrollmentRoutes() {
    }

    /**
     * {@code validForSeconds} (default seven days) and either {@code maxUses} (default 1) or {@code fleetWide:
     * true} (no limit on uses: asked for explicitly, never a default).
     */
    private static EnrollmentService.Terms terms(JsonBody body) {
        Duration validFor = body.optLong("validForSeconds")
                .map(v -> Duration.ofSeconds(Limits.positive("validForSeconds", v, Limits.VALID_FOR_SECONDS)))
                .orElse(EnrollmentService.Terms.DEFAULT_VALIDITY);
        Optional<Long> maxUses = body.optLong("maxUses").map(v -> Limits.positive("maxUses", v, Limits.MAX_USES));
        boolean fleetWide = body.optBoolean("fleetWide", false);
        if (fleetWide && maxUses.isPresent()) {
            throw ApiException.invalid("give either maxUses or fleetWide, not both");
        }
        return new EnrollmentService.Terms(validFor, fleetWide ? Optional.empty() : Optional.of(maxUses.orElse(1L)));
    }

    public static void register(Routes routes, EnrollmentService service) {
        routes.operator(HandlerType.POST, "/api/v1/enrollment-tokens", Role.OPERATOR, (ctx, op) -> {
            JsonBody body = JsonBody.of(ctx);
            String description = body.string("description", Limits.NAME);
            ctx.status(201).json(service.create(op.actor(), description, terms(body)));
        });
        routes.operator(HandlerType.GET, "/api/v1/enrollment-tokens", Role.OPERATOR,
                (ctx, op) -> ctx.json(service.list(Page.Request.from(ctx))));
        routes.operator(HandlerType.DELETE, "/api/v1/enrollment-tokens/{tokenId}", Role.OPERATOR,
                (ctx, op) -> ctx.json(service.revoke(op.actor(), ctx.pathParam("tokenId"))));
    }
}
