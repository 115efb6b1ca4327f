package dev.flotilla.server.http;

/**
 * The largest values the API accepts, in one place. Each is the size of the database column the value is
 * stored in (or, for {@link #VALID_FOR_SECONDS}, what keeps the expiry's arithmetic in range), so a value the
 * edge accepts always fits; a longer one is 400 {@code invalid_request} and changes nothing. The OpenAPI
 * document lists them as {@code maxLength} and {@code maximum} ({@code OpenApiTest} checks the two agree).
 */
public final class Limits {
    /** Names and descriptions: hardware ids, groups, tags, enrollment-token descriptions, API-token names. */
    public static final int NAME = 200;
    /** A device event's id. */
    public static final int EVENT_ID = 128;
    /** A device event's {@code occurredAt} as sent. */
    public static final int TIME = 64;
    /** JSON stored as text: device attributes, an event's details, a manifest's signed part (as serialised). */
    public static final int JSON_TEXT = 65536;
    /** An enrollment token's {@code validForSeconds}: at most ten years. */
    public static final long VALID_FOR_SECONDS = 10L * 366 * 24 * 60 * 60;
    /** An enrollment token's {@code maxUses}. */
    public static final long MAX_USES = 1_000_000_000L;

    private Limits() {
    }

    /**
     * {@code value} when it has at most {@code max} characters.
     *
     * @throws ApiException 400 {@code invalid_request} naming {@code field} and the limit otherwise
     */
    public static String text(String field, String value, int max) {
        if (value != null && value.length() > max) {
            throw ApiException.invalid("field '" + field + "' is longer than " + max + " characters");
        }
        return value;
    }

    /**
     * {@code value} when it lies in {@code 1..max}.
     *
     * @throws ApiException 400 {@code invalid_request} naming {@code field} and the range otherwise
     */
    public static long positive(String field, long value, long max) {
        if (value <= 0 || value > max) {
            throw ApiException.invalid("field '" + field + "' must be between 1 and " + max);
        }
        return value;
    }
}
