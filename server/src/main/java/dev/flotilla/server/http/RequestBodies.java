package dev.flotilla.server.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads what is left of a small request body that its handler did not read, before the answer goes out.
 *
 * <p>A route that answers without reading the body (a challenge asks for no body, but a client may send
 * {@code {}}) would otherwise complete while the body is still on its way: Jetty then cannot keep the connection
 * and closes it after the answer, and a request the client already sent on that connection gets no answer at all
 * ({@code HTTP/1.1 header parser received no bytes} in the JDK client). Bodies declared larger than
 * {@link #MAX_DRAIN_BYTES} (an upload refused early) are left alone: closing that connection is right.
 */
public final class RequestBodies {
    /** The most of an unread body read so that its connection can carry the next request. */
    public static final int MAX_DRAIN_BYTES = 64 * 1024;

    private RequestBodies() {
    }

    /** Reads the rest of every small request body after its handler ran. */
    public static void install(RoutesConfig routes) {
        routes.after(RequestBodies::drain);
    }

    private static void drain(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared == 0 || declared > MAX_DRAIN_BYTES) {
            return;
        }
        try {
            InputStream in = ctx.req().getInputStream();
            byte[] buffer = new byte[8192];
            long read = 0;
            int n;
            while (read < MAX_DRAIN_BYTES && (n = in.read(buffer)) > 0) {
                read += n;
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away, or the handler read the body as characters: Jetty decides about the connection
        }
    }
}
