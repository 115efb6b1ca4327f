package dev.flotilla.server.devices;

import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.server.errors.DomainError;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading a device's event batch: what it keeps, and each refusal's code and message (the API's 400). */
class EventBatchTest {
    private static EventBatch parse(String json) {
        return EventBatch.parse(CanonicalJson.parse(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertRefused(String json, String message) {
        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(DomainError.Invalid.class, e -> {
            assertThat(e.code()).isEqualTo("invalid_request");
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    @Test
    void aBatchKeepsItsEventsInOrderWithTheirTimeInUtc() {
        EventBatch batch = parse("""
                {"events": [{"eventId": "e1", "type": "installed", "occurredAt": "2026-12-02T17:03:56.120+01:00"},
                            {"eventId": "e2", "type": "failed", "details": {"reason": "REPLAYED"}}]}""");
        assertThat(batch.events()).extracting(EventBatch.Reported::eventId).containsExactly("e1", "e2");
        assertThat(batch.events().get(0).occurredAt()).isEqualTo("2026-12-02T16:03:56.120Z");
        assertThat(batch.events().get(0).details().isEmpty()).isTrue();
        assertThat(batch.events().get(1).occurredAt()).isNull();
        assertThat(batch.events().get(1).details().path("reason").asText()).isEqualTo("REPLAYED");
    }

    @Test
    void aBatchIsRefusedNamingWhatIsWrong() {
        assertRefused("{}", "missing field 'events'");
        assertRefused("{\"events\": []}", "events must be an array of 1 to 100 events");
        assertRefused("{\"events\": [1]}", "event must be a JSON object");
        assertRefused("{\"events\": [{\"eventId\": \"e1\", \"type\": \"exploded\"}]}", "unknown event type 'exploded'");
        assertRefused("{\"events\": [{\"type\": \"installed\"}]}", "missing string field 'eventId'");
        assertRefused("{\"events\": [{\"eventId\": \"" + "x".repeat(129) + "\", \"type\": \"installed\"}]}",
                "field 'eventId' is longer than 128 characters");
        assertRefused("{\"events\": [{\"eventId\": \"e1\", \"type\": \"installed\", \"details\": 3}]}",
                "field 'details' must be an object");
        assertRefused("{\"events\": [{\"eventId\": \"e1\", \"type\": \"installed\", \"occurredAt\": \"yesterday\"}]}",
                "occurredAt must be an ISO-8601 date-time with an offset, e.g. 2026-12-02T16:03:56Z");
    }
}
