package dev.flotilla.server.http;

import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.server.errors.DomainError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.io.EofException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/**
 * The one place where failures become HTTP responses. Every error body is {@link ErrorBody}; no stack
 * trace or exception text of an unexpected failure ever reaches a client (it is logged here instead). A
 * client that went away while sending its request (the body ended early: Jetty's {@link EofException}) is
 * no failure of the server: one DEBUG line, and the handler has already undone what it started (nothing is
 * written before a body has been read whole; a partial image upload deletes its staging file).
 */
public final class ErrorMapping {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {
    }

    /** Registers the mapping on a Javalin configuration. */
    public static void install(RoutesConfig routes) {
        routes.exception(ApiException.class, (e, ctx) -> write(ctx, e.status(), e.code(), e.getMessage()));
        routes.exception(DomainError.class, (e, ctx) -> write(ctx, switch (e) {
            case DomainError.Invalid i -> 400;
            case DomainError.NotFound n -> 404;
            case DomainError.Conflict c -> 409;
        }, e.code(), e.getMessage()));
        routes.exception(JsonFormatException.class,
                (e, ctx) -> write(ctx, 400, "malformed_json", "request body is not valid JSON: " + e.getMessage()));
        routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, e.getStatus(), codeFor(e.getStatus()),
                messageFor(e.getStatus())));
        routes.exception(UnableToExecuteStatementException.class, (e, ctx) -> {
            if (e.getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                // a concurrent request (possibly on another server) created the same thing first
                write(ctx, 409, "conflict", "the resource was changed concurrently; retry");
            } else {
                LOG.error("database failure on {} {}", ctx.method(), ctx.path(), e);
                write(ctx, 500, "internal_error", "internal server error");
            }
        });
        routes.exception(Exception.class, (e, ctx) -> {
            if (clientWentAway(e)) {
                LOG.debug("client went away during {} {}: {}", ctx.method(), ctx.path(), e.toString());
                write(ctx, 400, "bad_request", "the request body ended early");
                return;
            }
            LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
            write(ctx, 500, "internal_error", "internal server error");
        });
    }

    /** Whether {@code e} or one of its causes says the client closed the connection before its body ended. */
    static boolean clientWentAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof EofException) {
                return true;
            }
        }
        return false;
    }

    private static void write(Context ctx, int status, String code, String message) {
        ctx.status(status).json(new ErrorBody(code, message));
    }

    static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthenticated";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "http_" + status;
        };
    }

    private static String messageFor(int status) {
        return switch (status) {
            case 404 -> "no such resource";
            case 405 -> "method not allowed on this resource";
            case 413 -> "request body too large";
            default -> codeFor(status).replace('_', ' ');
        };
    }
}
