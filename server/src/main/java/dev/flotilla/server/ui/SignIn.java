package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.tokens.TokenService;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;

import java.net.URI;
import java.util.Optional;

/**
 * Signing in with an operator API token and out again. A good token opens a session ({@link Sessions}) whose
 * cookie is HttpOnly, SameSite=Strict, limited to {@code /ui}, and Secure when the request came over TLS; the
 * token itself is not kept. A sign-in posted from another origin is refused (no login CSRF).
 */
final class SignIn {
    /** The sign-in page's model: an error or notice to show, either may be null. */
    public record Form(String error, String notice) {
    }

    private final Sessions sessions;
    private final TokenService tokens;
    private final View view;

    SignIn(Sessions sessions, TokenService tokens, View view) {
        this.sessions = sessions;
        this.tokens = tokens;
        this.view = view;
    }

    void register(Gate gate) {
        gate.open(HandlerType.GET, "/ui/login", ctx -> view.render(ctx, 200, "login.jte",
                Chrome.anonymous("Sign in"), new Form(null, notice(ctx))));
        gate.open(HandlerType.POST, "/ui/login", this::signIn);
        gate.page(HandlerType.POST, "/ui/logout", Role.VIEWER, (ctx, visit) -> {
            sessions.close(ctx.cookie(Gate.COOKIE));
            ctx.header("Set-Cookie", cookie(ctx, "", 0));
            ctx.redirect("/ui/login?signedOut", HttpStatus.SEE_OTHER);
        });
    }

    private void signIn(Context ctx) {
        if (!sameOrigin(ctx)) {
            view.render(ctx, 403, "login.jte", Chrome.anonymous("Sign in"),
                    new Form("This sign-in did not come from this dashboard's own page. Open the dashboard and"
                            + " sign in there.", null));
            return;
        }
        String token = Optional.ofNullable(ctx.formParam("token")).map(String::trim).orElse("");
        if (token.isEmpty()) {
            view.render(ctx, 400, "login.jte", Chrome.anonymous("Sign in"),
                    new Form("Paste an operator API token (it starts with flt_) to sign in.", null));
            return;
        }
        Optional<Operator> operator = tokens.authenticate(token);
        if (operator.isEmpty()) {
            view.render(ctx, 401, "login.jte", Chrome.anonymous("Sign in"),
                    new Form("That API token is not valid: it is unknown or was revoked. An admin can create one"
                            + " with 'flotilla tokens create'.", null));
            return;
        }
        sessions.close(ctx.cookie(Gate.COOKIE));
        Sessions.Opened opened = sessions.open(operator.get().tokenId());
        ctx.header("Set-Cookie", cookie(ctx, opened.cookie(), -1));
        ctx.redirect("/ui", HttpStatus.SEE_OTHER);
    }

    /** The session cookie; {@code maxAge} 0 deletes it, negative makes it last until the browser closes. */
    static String cookie(Context ctx, String value, int maxAge) {
        return Gate.COOKIE + "=" + value + "; Path=/ui; HttpOnly; SameSite=Strict"
                + (Gate.secure(ctx) ? "; Secure" : "") + (maxAge >= 0 ? "; Max-Age=" + maxAge : "");
    }

    /** No Origin header (an old browser or a same-origin navigation), or one naming this host. */
    private static boolean sameOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null) {
            return true;
        }
        try {
            URI o = URI.create(origin);
            String host = ctx.header("Host");
            return host != null && o.getHost() != null
                    && (o.getHost() + (o.getPort() == -1 ? "" : ":" + o.getPort())).equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String notice(Context ctx) {
        if (ctx.queryParam("ended") != null) {
            return "Your session has ended (signed out elsewhere, expired after 30 minutes idle or 12 hours, or the"
                    + " server restarted). Sign in again.";
        }
        if (ctx.queryParam("revoked") != null) {
            return "The API token of your session was revoked. Sign in with a valid token.";
        }
        if (ctx.queryParam("signedOut") != null) {
            return "You are signed out.";
        }
        return null;
    }
}
