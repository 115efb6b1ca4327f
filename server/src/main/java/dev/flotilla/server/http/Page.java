package dev.flotilla.server.http;

import io.javalin.http.Context;

import java.util.List;

/**
 * One page of a listing: {@code items}, plus {@code nextOffset} when more may follow.
 *
 * @param <T> item type
 */
public record Page<T>(List<T> items, int offset, int limit, Integer nextOffset) {
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    /** Builds a page from a query that fetched up to {@code limit + 1} rows. */
    public static <T> Page<T> of(List<T> fetched, Request request) {
        boolean more = fetched.size() > request.limit();
        List<T> items = more ? List.copyOf(fetched.subList(0, request.limit())) : List.copyOf(fetched);
        return new Page<>(items, request.offset(), request.limit(), more ? request.offset() + request.limit() : null);
    }

    /** Paging parameters of a listing request. */
    public record Request(int offset, int limit) {
        /**
         * Reads {@code offset} and {@code limit} query parameters; refuses negative or oversize values, and any
         * query parameter other than these and the listing's {@code filters} ({@link QueryParams}).
         */
        public static Request from(Context ctx, String... filters) {
            List<String> allowed = new java.util.ArrayList<>(List.of(filters));
            allowed.addAll(List.of("offset", "limit"));
            QueryParams.requireOnly(ctx, allowed);
            int offset = intParam(ctx, "offset", 0);
            int limit = intParam(ctx, "limit", DEFAULT_LIMIT);
            if (offset < 0 || limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.invalid("offset must be >= 0 and limit between 1 and " + MAX_LIMIT);
            }
            return new Request(offset, limit);
        }

        private static int intParam(Context ctx, String name, int fallback) {
            String raw = ctx.queryParam(name);
            if (raw == null || raw.isBlank()) {
                return fallback;
            }
            try {
                return Integer.parseInt(raw);
            } catch (NumberFormatException e) {
                throw ApiException.invalid("query parameter '" + name + "' must be an integer");
            }
        }
    }
}
