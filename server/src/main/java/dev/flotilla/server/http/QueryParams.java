package dev.flotilla.server.http;

import io.javalin.http.Context;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks of query parameters at the HTTP edge, so that a filter is never silently ignored: an unknown name
 * (a typo, or a filter the route does not have) is refused with 400 {@code unknown_parameter} listing the
 * accepted names; an unknown value of a parameter with fixed values with 400 {@code invalid_request}
 * listing the accepted values. Every listing checks its parameters through {@link Page.Request#from}.
 */
public final class QueryParams {
    private QueryParams() {
    }

    /**
     * Refuses a request that carries a query parameter not in {@code allowed}.
     *
     * @throws ApiException 400 {@code unknown_parameter} naming the unknown and the allowed parameters
     */
    public static void requireOnly(Context ctx, Collection<String> allowed) {
        Set<String> unknown = new LinkedHashSet<>(ctx.queryParamMap().keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("unknown_parameter", "unknown query parameter"
                    + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown) + " on " + ctx.path()
                    + "; allowed: " + (allowed.isEmpty() ? "none" : String.join(", ", allowed)));
        }
    }

    /**
     * The value of a parameter that has a fixed set of values, null when absent.
     *
     * @throws ApiException 400 {@code invalid_request} when the value is not one of {@code values}
     */
    public static String oneOf(Context ctx, String name, List<String> values) {
        String v = ctx.queryParam(name);
        if (v != null && !values.contains(v)) {
            throw ApiException.invalid("query parameter '" + name + "' must be one of " + String.join(", ", values)
                    + "; got '" + v + "'");
        }
        return v;
    }
}
