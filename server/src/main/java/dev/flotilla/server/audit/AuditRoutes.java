package dev.flotilla.server.audit;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.http.ListOrder;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.Routes;
import io.javalin.http.HandlerType;
import org.jdbi.v3.core.Jdbi;

/** {@code GET /api/v1/audit}: the audit log, paged, oldest first or ({@code order=desc}) newest first, for admins. */
public final class AuditRoutes {
    private AuditRoutes() {
    }

    public static void register(Routes routes, Jdbi jdbi, AuditLog log) {
        routes.operator(HandlerType.GET, "/api/v1/audit", Role.ADMIN, (ctx, op) -> {
            Page.Request page = Page.Request.from(ctx, ListOrder.PARAM);
            ListOrder order = ListOrder.from(ctx);
            ctx.json(Page.of(jdbi.withHandle(h -> log.list(h, page, order)), page));
        });
    }
}
