package dev.flotilla.server.devices;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.http.JsonBody;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the check of a device's event batch (the events body), without a server or database: a body
 * either fails to parse ({@link JsonFormatException}) or is refused with {@link ApiException} 400, or gives
 * 1 to 100 events of known types whose times are UTC instants; nothing else may escape. Committed inputs:
 * {@code DeviceEventsFuzzTestInputs/validate/}; docs/fuzzing.md.
 */
class DeviceEventsFuzzTest {
    @FuzzTest
    void validate(byte[] input) {
        JsonBody body;
        try {
            body = new JsonBody(CanonicalJson.parseObject(input));
        } catch (JsonFormatException notABody) {
            return;
        }
        List<DeviceEvent> events;
        try {
            events = DeviceEvents.validate("dev_1", body);
        } catch (ApiException refused) {
            assertThat(refused.status()).isEqualTo(400);
            return;
        }
        assertThat(events).hasSizeBetween(1, 100);
        for (DeviceEvent e : events) {
            assertThat(DeviceEvents.TYPES).contains(e.type());
            assertThat(e.eventId()).isNotBlank().hasSizeLessThanOrEqualTo(128);
            if (e.occurredAt() != null) {
                assertThat(Instant.parse(e.occurredAt()).toString()).isEqualTo(e.occurredAt());
            }
        }
    }
}
