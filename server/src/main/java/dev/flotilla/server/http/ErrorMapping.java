package dev.flotilla.server.http;

import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.server.artifacts.ArtifactStoreException;
import dev.flotilla.server.errors.DomainError;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.io.EofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The one place where failures become HTTP responses. Every error body is {@link ErrorBody}; no stack
 * trace or exception text of an unexpected failure ever reaches a client (it is logged here instead). A
 * client that went away while sending its request (the body ended early: Jetty's {@link EofException}) is
 * no failure of the server: one DEBUG line, and the handler has already undone what it started (nothing is
 * written before a body has been read whole; a partial image upload deletes its staging file). A request that
 * found no free database connection within the pool's wait is 503 {@code unavailable} with {@code Retry-After}
 * and one WARN line: an overloaded server sheds it, the client retries.
 */
public final class ErrorMapping {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);
    /** What a 503 for want of a database connection asks the client to wait ({@code Retry-After}). */
    static final int RETRY_AFTER_SECONDS = 5;

    private ErrorMapping() {
    }

    /** The HTTP status of a service's refusal. */
    public static int status(DomainError e) {
        return switch (e) {
            case DomainError.Invalid i -> 400;
            case DomainError.TooLarge t -> 413;
            case DomainError.Unauthenticated u -> 401;
            case DomainError.Forbidden f -> 403;
            case DomainError.NotFound n -> 404;
            case DomainError.Conflict c -> 409;
        };
    }

    /** Registers the mapping on a Javalin configuration. */
    public static void install(RoutesConfig routes) {
        routes.exception(ApiException.class, (e, ctx) -> write(ctx, e.status(), e.code(), e.getMessage()));
        routes.exception(DomainError.class, (e, ctx) -> write(ctx, status(e), e.code(), e.getMessage()));
        routes.exception(ArtifactStoreException.class, (e, ctx) -> {
            LOG.warn("artifact store failed on {} {}: {}", ctx.method(), ctx.path(), e.getMessage());
            write(ctx, 503, "artifact_store_unavailable", e.getMessage());
        });
        routes.exception(JsonFormatException.class,
                (e, ctx) -> write(ctx, 400, "malformed_json", "request body is not valid JSON: " + e.getMessage()));
        routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, e.getStatus(), codeFor(e.getStatus()),
                messageFor(e.getStatus())));
        routes.exception(Exception.class, (e, ctx) -> {
            if (clientWentAway(e)) {
                LOG.debug("client went away during {} {}: {}", ctx.method(), ctx.path(), e.toString());
                write(ctx, 400, "bad_request", "the request body ended early");
                return;
            }
            ApiException refused = databaseRefusal(e);
            if (refused != null) {
                // a value the edge let through but the database refused: the client's fault, nothing was stored
                LOG.warn("database refused {} {}: {}", ctx.method(), ctx.path(), refused.getMessage());
                write(ctx, refused.status(), refused.code(), refused.getMessage());
                return;
            }
            if (noConnection(e)) {
                // every pooled connection stayed busy for the pool's whole wait, or the database is unreachable
                LOG.warn("no database connection for {} {}: {}", ctx.method(), ctx.path(),
                        cause(e, SQLTransientConnectionException.class).getMessage());
                ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
                write(ctx, 503, "unavailable", "the server found no free database connection in time (it is busy,"
                        + " or the database is unreachable); retry in " + RETRY_AFTER_SECONDS + " s");
                return;
            }
            LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
            write(ctx, 500, "internal_error", "internal server error");
        });
    }

    /**
     * What a statement the database refused means for the client, from the SQL state of the first
     * {@link SQLException} among {@code e}'s causes: a unique key or a foreign key (23505; 23503, and H2's 23506
     * for a missing parent) is 409
     * {@code conflict} (a concurrent request, possibly on another server, created or removed the row first);
     * any other integrity constraint (class 23) and any data exception (class 22: a value too long, 22001, or out
     * of range) is 400 {@code invalid_request}. Null for anything else (a failure of the server). The
     * statement's transaction has been rolled back, so nothing was stored.
     */
    static ApiException databaseRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.equals("23505") || state.equals("23503") || state.equals("23506")) {
                    return ApiException.conflict("conflict", "the resource was changed concurrently; retry");
                }
                if (state.startsWith("23")) {
                    return ApiException.invalid("the request breaks a rule of the stored data (SQL state " + state + ")");
                }
                if (state.startsWith("22")) {
                    return ApiException.invalid(state.equals("22001") ? "a value is longer than the server stores"
                            : "a value is out of the range the server stores (SQL state " + state + ")");
                }
                return null;
            }
        }
        return null;
    }

    /**
     * Whether {@code e} or one of its causes is the connection pool's {@link SQLTransientConnectionException}: no
     * connection became free within the pool's wait (the server is overloaded), or none could be opened (the
     * database is unreachable). Nothing was read or written for the request.
     */
    static boolean noConnection(Throwable e) {
        return cause(e, SQLTransientConnectionException.class) != null;
    }

    /** Whether {@code e} or one of its causes says the client closed the connection before its body ended. */
    static boolean clientWentAway(Throwable e) {
        return cause(e, EofException.class) != null;
    }

    /** {@code e} or the first of its causes that is a {@code type}, or null. */
    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
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
