package dev.flotilla.server.http;

/**
 * A request the server refuses, with the HTTP status, a stable machine-readable code and a message for
 * people. Thrown anywhere below the routes; {@link ErrorMapping} turns it into the JSON error body.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    public static ApiException invalid(String message) {
        return new ApiException(400, "invalid_request", message);
    }

    public static ApiException unauthenticated(String message) {
        return new ApiException(401, "unauthenticated", message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message);
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "not_found", what + " not found");
    }

    public static ApiException conflict(String code, String message) {
        return new ApiException(409, code, message);
    }
}
