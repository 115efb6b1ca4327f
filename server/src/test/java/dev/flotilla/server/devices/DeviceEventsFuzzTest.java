package dev.flotilla.server.devices;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.server.errors.DomainError;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the check of a device's event batch (the events body, {@link EventBatch#parse}), without a server or
 * database: a body either fails to parse ({@link JsonFormatException}) or is refused with
 * {@link DomainError.Invalid} (400), or gives 1 to 100 events of known types whose times are UTC instants;
 * nothing else may escape. Committed inputs: {@code DeviceEventsFuzzTestInputs/validate/}; docs/fuzzing.md.
 */
class DeviceEventsFuzzTest {
    @FuzzTest
    void validate(byte[] input) {
        ObjectNode body;
        try {
            body = CanonicalJson.parseObject(input);
        } catch (JsonFormatException notABody) {
            return;
        }
        EventBatch batch;
        try {
            batch = EventBatch.parse(body);
        } catch (DomainError.Invalid refused) {
            assertThat(refused.code()).isEqualTo("invalid_request");
            return;
        }
        assertThat(batch.events()).hasSizeBetween(1, 100);
        for (EventBatch.Reported e : batch.events()) {
            assertThat(DeviceEvents.TYPES).contains(e.type());
            assertThat(e.eventId()).isNotBlank().hasSizeLessThanOrEqualTo(128);
            if (e.occurredAt() != null) {
                assertThat(Instant.parse(e.occurredAt()).toString()).isEqualTo(e.occurredAt());
            }
        }
    }
}
