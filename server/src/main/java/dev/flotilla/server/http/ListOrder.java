package dev.flotilla.server.http;

import io.javalin.http.Context;

/**
 * The order of a listing that grows with time (device events, the audit log): query parameter {@code order},
 * {@code asc} (oldest first, the default) or {@code desc} (newest first). Paging ({@link Page.Request})
 * applies to the ordered list: with {@code desc}, offset 0 is the newest entry.
 */
public enum ListOrder {
    ASC, DESC;

    /** The query parameter's name. */
    public static final String PARAM = "order";

    /**
     * Reads {@code order}; absent is {@link #ASC}.
     *
     * @throws ApiException 400 {@code invalid_request} for any other value than {@code asc} or {@code desc}
     */
    public static ListOrder from(Context ctx) {
        String raw = QueryParams.oneOf(ctx, PARAM, java.util.List.of("asc", "desc"));
        return "desc".equals(raw) ? DESC : ASC;
    }

    /** The SQL keyword ({@code ASC} or {@code DESC}). */
    public String sql() {
        return name();
    }
}
