package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An event a device reported. {@code eventId} is the device's own id for it (idempotency key per device).
 */
public record DeviceEvent(String deviceId, String eventId, String type, String occurredAt, String receivedAt,
                          JsonNode details) {
}
