package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.tokens.TokenService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Registers dashboard routes with their access rule at the call site, like {@code http.Routes} does for the
 * API. Every answer gets the security headers (a Content-Security-Policy allowing only this origin's scripts
 * and styles, no framing, no caching of pages). A page needs a live session whose API token is still live
 * and whose role covers the page's; a request that changes state must carry the session's CSRF token (form
 * field {@code _csrf} or header {@value #CSRF_HEADER}). Refusals and failures are HTML pages, never a stack
 * trace; a request without a live session is sent to the sign-in page.
 */
final class Gate {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    static final String COOKIE = "flotilla_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    static final String CSRF_FIELD = "_csrf";
    private static final Logger LOG = LoggerFactory.getLogger(Gate.class);

    /** A page handler: gets the signed-in operator's visit. */
    @FunctionalInterface
    interface PageHandler {
        void handle(Context ctx, Visit visit) throws Exception;
    }

    /** The signed-in operator and the session's CSRF token. */
    record Visit(Operator operator, String csrf) {
        Chrome chrome(String title, String section) {
            return new Chrome(title, section, operator, csrf);
        }
    }

    /** An open handler (sign-in, assets). */
    @FunctionalInterface
    interface OpenHandler {
        void handle(Context ctx) throws Exception;
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    private final RoutesConfig routes;
    private final Sessions sessions;
    private final TokenService tokens;
    private final View view;

    Gate(RoutesConfig routes, Sessions sessions, TokenService tokens, View view) {
        this.routes = routes;
        this.sessions = sessions;
        this.tokens = tokens;
        this.view = view;
    }

    /** A route anyone may call: the sign-in page and the assets. */
    void open(HandlerType method, String path, OpenHandler handler) {
        routes.addHttpHandler(method, path, ctx -> guarded(ctx, null, () -> handler.handle(ctx)));
    }

    /** A page for a signed-in operator whose role covers {@code least}. */
    void page(HandlerType method, String path, Role least, PageHandler handler) {
        routes.addHttpHandler(method, path, ctx -> {
            headers(ctx);
            String cookie = ctx.cookie(COOKIE);
            Optional<Sessions.Session> session = sessions.use(cookie);
            if (session.isEmpty()) {
                toSignIn(ctx, cookie == null ? "" : "?ended");
                return;
            }
            Optional<Operator> operator = tokens.authenticateById(session.get().tokenId());
            if (operator.isEmpty()) {
                sessions.close(cookie);
                toSignIn(ctx, "?revoked");
                return;
            }
            Visit visit = new Visit(operator.get(), session.get().csrf());
            Chrome chrome = visit.chrome("Refused", "");
            guarded(ctx, chrome, () -> {
                if (method != HandlerType.GET && !csrfMatches(ctx, visit.csrf())) {
                    view.error(ctx, 403, chrome, "Request refused", "This form did not come from your current"
                            + " dashboard session (its CSRF token is missing or stale). Reload the page and try again;"
                            + " nothing was changed.");
                    return;
                }
                if (!visit.operator().role().covers(least)) {
                    view.error(ctx, 403, chrome, "Not allowed", "Your role, " + visit.operator().role().wireName()
                            + ", may not do this; " + least.wireName() + " or higher is required.");
                    return;
                }
                handler.handle(ctx, visit);
            });
        });
    }

    /** Whether the session of this cookie value is still live and its API token not revoked. */
    boolean live(String cookie) {
        return sessions.use(cookie).flatMap(s -> tokens.authenticateById(s.tokenId())).isPresent();
    }

    /** Sets the security headers every dashboard answer carries. */
    static void headers(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
    }

    /** Whether the request came over TLS, to this server or (as its proxy says) to a proxy in front of it. */
    static boolean secure(Context ctx) {
        return "https".equalsIgnoreCase(ctx.scheme()) || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    }

    private void toSignIn(Context ctx, String query) {
        if (ctx.header("HX-Request") != null) {
            ctx.header("HX-Redirect", "/ui/login" + query).status(401);
        } else {
            ctx.redirect("/ui/login" + query, io.javalin.http.HttpStatus.SEE_OTHER);
        }
    }

    /** The status of a service's refusal, as the API's error mapping gives it. */
    static int status(DomainError e) {
        return dev.flotilla.server.http.ErrorMapping.status(e);
    }

    private static boolean csrfMatches(Context ctx, String expected) {
        String sent = ctx.header(CSRF_HEADER);
        if (sent == null) {
            sent = ctx.formParam(CSRF_FIELD);
        }
        return sent != null && MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs {@code body}; a refusal or failure becomes an error page (the cause of a failure is logged). */
    private void guarded(Context ctx, Chrome chrome, Body body) {
        headers(ctx);
        Chrome frame = chrome == null ? Chrome.anonymous("Error") : chrome;
        try {
            body.run();
        } catch (ApiException e) {
            view.error(ctx, e.status(), frame, e.status() == 404 ? "Not found" : "Request refused", e.getMessage());
        } catch (DomainError e) {
            int status = status(e);
            view.error(ctx, status, frame, status == 404 ? "Not found" : "Request refused", e.getMessage());
        } catch (Exception e) {
            LOG.error("dashboard failure on {} {}", ctx.method(), ctx.path(), e);
            view.error(ctx, 500, frame, "Something went wrong", "The server could not show this page; the cause"
                    + " is in its log. Try again, or go back to the fleet overview.");
        }
    }
}
