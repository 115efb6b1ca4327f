package dev.flotilla.server.http;

/** The JSON body of every error response: {@code {"code":"...","message":"..."}}. */
public record ErrorBody(String code, String message) {
}
