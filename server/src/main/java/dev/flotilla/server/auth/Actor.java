package dev.flotilla.server.auth;

/**
 * Who did something, as the audit log records it.
 *
 * @param kind {@code token} (an operator API token), {@code device}, {@code enrollment-token} or {@code system}
 * @param id   the token or device id
 * @param name a readable name (token name, hardware id), may equal the id
 */
public record Actor(String kind, String id, String name) {
    public static final Actor SYSTEM = new Actor("system", "system", "server");

    public static Actor device(String deviceId) {
        return new Actor("device", deviceId, deviceId);
    }
}
