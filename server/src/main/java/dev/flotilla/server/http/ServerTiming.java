package dev.flotilla.server.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.Locale;

/**
 * Tells how long the server worked on a request in a W3C {@code Server-Timing} header, {@code app;dur=MILLIS}:
 * from its first matched handler to its last, before the answer's body is written. Installed on the
 * dashboard's pages and the no-op {@code /livez}: a browser's network panel shows it beside the page, and
 * {@code bench dashboard} reads it for the server-side time of each page. Device routes do not carry it. A
 * streamed answer (server-sent events) has sent its headers before it ends and gets none.
 */
public final class ServerTiming {
    /** The header's name. */
    public static final String HEADER = "Server-Timing";
    private static final String STARTED = "flotilla.serverTiming.started";

    private ServerTiming() {
    }

    /** Times every request whose path matches one of {@code paths} (Javalin path patterns). */
    public static void install(RoutesConfig routes, String... paths) {
        for (String path : paths) {
            routes.before(path, ctx -> ctx.attribute(STARTED, System.nanoTime()));
            routes.after(path, ServerTiming::tell);
        }
    }

    private static void tell(Context ctx) {
        Long started = ctx.attribute(STARTED);
        if (started == null || ctx.res().isCommitted()) {
            return;
        }
        double millis = (System.nanoTime() - started) / 1e6;
        ctx.header(HEADER, String.format(Locale.ROOT, "app;dur=%.2f", millis));
    }
}
