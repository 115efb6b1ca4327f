package dev.flotilla.server.ui;

import io.javalin.http.HandlerType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The dashboard's static files under {@code /ui/assets/}: its style sheet and script (resources beside this
 * class), htmx and uPlot (the rollout chart: its script and style sheet) from their webjars (no CDN). Read once at start; browsers may cache them for an hour.
 */
final class Assets {
    private Assets() {
    }

    static void register(Gate gate) {
        serve(gate, "/ui/assets/app.css", "text/css; charset=utf-8", read("dev/flotilla/server/ui/assets/app.css"));
        serve(gate, "/ui/assets/app.js", "text/javascript; charset=utf-8",
                read("dev/flotilla/server/ui/assets/app.js"));
        serve(gate, "/ui/assets/htmx.min.js", "text/javascript; charset=utf-8",
                read("META-INF/resources/webjars/htmx.org/" + version("htmx.org") + "/dist/htmx.min.js"));
        String uplot = "META-INF/resources/webjars/uplot/" + version("uplot") + "/dist/";
        serve(gate, "/ui/assets/uPlot.iife.min.js", "text/javascript; charset=utf-8", read(uplot + "uPlot.iife.min.js"));
        serve(gate, "/ui/assets/uPlot.min.css", "text/css; charset=utf-8", read(uplot + "uPlot.min.css"));
    }

    private static void serve(Gate gate, String path, String type, byte[] body) {
        gate.open(HandlerType.GET, path, ctx -> {
            ctx.header("Cache-Control", "public, max-age=3600");
            ctx.contentType(type).result(body);
        });
    }

    /** The version of the npm webjar {@code name} on the class path (its resource path names it). */
    static String version(String name) {
        Properties p = new Properties();
        try (InputStream in = resource("META-INF/maven/org.webjars.npm/" + name + "/pom.properties")) {
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
