package dev.flotilla.server.ui;

import io.javalin.http.HandlerType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The dashboard's static files under {@code /ui/assets/}: its style sheet and script (resources beside this
 * class) and htmx from its webjar (no CDN). Read once at start; browsers may cache them for an hour.
 */
final class Assets {
    private static final String WEBJAR = "META-INF/maven/org.webjars.npm/htmx.org/pom.properties";

    private Assets() {
    }

    static void register(Gate gate) {
        serve(gate, "/ui/assets/app.css", "text/css; charset=utf-8", read("dev/flotilla/server/ui/assets/app.css"));
        serve(gate, "/ui/assets/app.js", "text/javascript; charset=utf-8",
                read("dev/flotilla/server/ui/assets/app.js"));
        serve(gate, "/ui/assets/htmx.min.js", "text/javascript; charset=utf-8",
                read("META-INF/resources/webjars/htmx.org/" + htmxVersion() + "/dist/htmx.min.js"));
    }

    private static void serve(Gate gate, String path, String type, byte[] body) {
        gate.open(HandlerType.GET, path, ctx -> {
            ctx.header("Cache-Control", "public, max-age=3600");
            ctx.contentType(type).result(body);
        });
    }

    /** The version of the htmx webjar on the class path (its path names it). */
    static String htmxVersion() {
        Properties p = new Properties();
        try (InputStream in = resource(WEBJAR)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static byte[] read(String name) {
        try (InputStream in = resource(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = Assets.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + name);
        }
        return in;
    }
}
