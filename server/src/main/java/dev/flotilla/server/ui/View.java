package dev.flotilla.server.ui;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Renders the dashboard's JTE templates ({@code server/src/main/jte}), compiled to classes at build time by
 * the jte-maven-plugin: no template compiler runs in the server.
 */
final class View {
    private final TemplateEngine engine = TemplateEngine.createPrecompiled(null, ContentType.Html,
            View.class.getClassLoader(), "dev.flotilla.server.ui");

    /** Renders {@code template} with the frame {@code chrome} and the page's model {@code page}. */
    void render(Context ctx, int status, String template, Chrome chrome, Object page) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("chrome", chrome);
        if (page != null) {
            params.put("page", page);
        }
        StringOutput out = new StringOutput();
        engine.render(template, params, out);
        ctx.status(status).contentType("text/html; charset=utf-8").result(out.toString());
    }

    /** Renders a partial template whose one parameter is {@code page}, as text. */
    String fragment(String template, Object page) {
        StringOutput out = new StringOutput();
        engine.render(template, java.util.Map.of("page", page), out);
        return out.toString();
    }

    /** An error page: status, a heading and one sentence saying what to do. */
    void error(Context ctx, int status, Chrome chrome, String heading, String message) {
        render(ctx, status, "error.jte", chrome, new Problem(status, heading, message));
    }

    /** The model of the error page. */
    public record Problem(int status, String heading, String message) {
    }
}
