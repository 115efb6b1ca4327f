package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retries with backoff ({@link Retries}): a device retried before its backoff since its failure passed waits, and
 * the evaluator re-admits it once due; each retry waits longer, up to the cap; {@code maxRetries} still bounds
 * them; bad backoff policies are refused naming the field. Real HTTP, a fake clock, H2 and PostgreSQL.
 */
class RolloutRetryTest extends FleetTest {
    private static final String ONE_STAGE = "{'stages': [{'percent': 100}]}";

    /** The device fails now; returns when (as the server's clock counts, in milliseconds). */
    private Instant fail(TestDevice d, String id) {
        Instant at = fleet.clock.instant().truncatedTo(ChronoUnit.MILLIS);
        fleet.report(d, id, "failed", Map.of("reason", "E_FLASH"));
        return at;
    }

    private boolean assigned(TestDevice d, String id) {
        return id.equals(fleet.assignment(d).path("signed").path("deploymentId").asText(null));
    }

    @StoreTest
    void aDeviceRetriedBeforeItsBackoffWaitsAndIsAdmittedOnceItPassed(TestDatabase db) {
        TestDevice d = fleetOf(db, 1).get(0);
        String id = rollout(ONE_STAGE, Map.of("retryBackoffSeconds", 600));
        long first = fleet.assignment(d).path("signed").path("counter").asLong();
        Instant failed = fail(d, id);
        fleet.tick(id, Duration.ofSeconds(60));

        JsonNode after = fleet.act(id, "retry").path("acted").path("after");

        assertThat(after.path("retried").asInt()).as("not at once").isZero();
        assertThat(after.path("waiting").asInt()).isEqualTo(1);
        assertThat(Instant.parse(after.path("nextRetryAt").asText())).isEqualTo(failed.plusSeconds(600));
        assertThat(assigned(d, id)).isFalse();
        JsonNode asked = fleet.audit("rollout.retry").get(0);
        assertThat(asked.path("actorKind").asText()).isNotEqualTo("system");
        assertThat(asked.path("after").path("waiting").asInt()).isEqualTo(1);

        assertThat(fleet.tick(id, Duration.ofSeconds(539)).path("stages").get(0).path("funnel").path("failed").asInt())
                .as("a second before it is due").isEqualTo(1);
        assertThat(assigned(d, id)).isFalse();

        fleet.tick(id, Duration.ofSeconds(1));

        JsonNode again = fleet.assignment(d).path("signed");
        assertThat(again.path("deploymentId").asText()).isEqualTo(id);
        assertThat(again.path("counter").asLong()).isGreaterThan(first);
        JsonNode due = fleet.audit("rollout.retry.due").get(0);
        assertThat(due.path("actorKind").asText()).isEqualTo("system");
        assertThat(due.path("after").path("retried").asInt()).isEqualTo(1);
        assertThat(due.path("after").path("waiting").asInt()).isZero();
        assertThat(due.path("after").has("nextRetryAt")).isFalse();
    }

    @StoreTest
    void aDeviceWhoseBackoffPassedIsRetriedAtOnce(TestDatabase db) {
        TestDevice d = fleetOf(db, 1).get(0);
        String id = rollout(ONE_STAGE, Map.of());
        fail(d, id);
        fleet.tick(id, Duration.ofSeconds(Policies.RETRY_BACKOFF_SECONDS));

        JsonNode after = fleet.act(id, "retry").path("acted").path("after");

        assertThat(after.path("retried").asInt()).isEqualTo(1);
        assertThat(after.path("waiting").asInt()).isZero();
        assertThat(assigned(d, id)).isTrue();
    }

    @StoreTest
    void eachRetryWaitsLongerUpToTheCapAndMaxRetriesStillBounds(TestDatabase db) {
        TestDevice d = fleetOf(db, 1).get(0);
        String id = rollout(ONE_STAGE, Map.of("maxRetries", 3, "retryBackoffSeconds", 100, "retryBackoffFactor", 2.5,
                "retryBackoffMaxSeconds", 400));
        long[] waits = {100, 250, 400}; // 100, 100 * 2.5, 100 * 2.5^2 = 625 capped at 400
        for (long wait : waits) {
            Instant failed = fail(d, id);
            JsonNode after = fleet.act(id, "retry").path("acted").path("after");
            assertThat(Instant.parse(after.path("nextRetryAt").asText())).as("waits %d s", wait)
                    .isEqualTo(failed.plusSeconds(wait));
            fleet.tick(id, Duration.ofSeconds(wait - 1));
            assertThat(assigned(d, id)).as("%d s after the failure", wait - 1).isFalse();
            fleet.tick(id, Duration.ofSeconds(1));
            assertThat(assigned(d, id)).as("%d s after the failure", wait).isTrue();
        }
        fail(d, id);

        JsonNode after = fleet.act(id, "retry").path("acted").path("after");

        assertThat(after.path("retried").asInt()).isZero();
        assertThat(after.path("waiting").asInt()).isZero();
        assertThat(after.path("exhausted").asInt()).isEqualTo(1);
        fleet.tick(id, Duration.ofDays(1));
        assertThat(assigned(d, id)).as("retries used up").isFalse();
    }

    @StoreTest
    void anAbortDropsTheRetriesWaitingForTheirBackoff(TestDatabase db) {
        TestDevice d = fleetOf(db, 1).get(0);
        String id = rollout(ONE_STAGE, Map.of());
        fail(d, id);
        assertThat(fleet.act(id, "retry").path("acted").path("after").path("waiting").asInt()).isEqualTo(1);

        fleet.act(id, "abort");
        fleet.tick(id, Duration.ofDays(1));

        assertThat(assigned(d, id)).isFalse();
        assertThat(fleet.audit("rollout.retry.due")).isEmpty();
    }

    @StoreTest
    void theBackoffPoliciesAreShownWithTheirDefaults(TestDatabase db) {
        fleetOf(db, 1);
        JsonNode defaults = fleet.get(rollout(ONE_STAGE, Map.of())).path("policies");
        assertThat(defaults.path("retryBackoffSeconds").asLong()).isEqualTo(300);
        assertThat(defaults.path("retryBackoffFactor").asDouble()).isEqualTo(2.0);
        assertThat(defaults.path("retryBackoffMaxSeconds").asLong()).isEqualTo(3600);
        assertThat(defaults.path("maxRetries").asLong()).isEqualTo(2);

        JsonNode given = fleet.get(fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "supersede",
                true, "policies", Map.of("retryBackoffSeconds", 7200, "retryBackoffFactor", 1.5)))
                .path("id").asText()).path("policies");
        assertThat(given.path("retryBackoffSeconds").asLong()).isEqualTo(7200);
        assertThat(given.path("retryBackoffFactor").asDouble()).isEqualTo(1.5);
        assertThat(given.path("retryBackoffMaxSeconds").asLong()).as("the cap defaults to at least the base")
                .isEqualTo(7200);
    }

    @StoreTest
    void invalidBackoffPoliciesAreRefusedNamingTheFieldAndNothingIsStored(TestDatabase db) {
        fleetOf(db, 1);
        Map<Map<String, Object>, String> refused = Map.of(
                Map.of("retryBackoffSeconds", -1), "policies.retryBackoffSeconds must be an integer from 0 to 86400",
                Map.of("retryBackoffSeconds", "300"), "policies.retryBackoffSeconds must be an integer",
                Map.of("retryBackoffFactor", 0.5), "policies.retryBackoffFactor must be a number from 1.0 to 10.0",
                Map.of("retryBackoffMaxSeconds", 604_801), "policies.retryBackoffMaxSeconds must be an integer",
                Map.of("retryBackoffSeconds", 600, "retryBackoffMaxSeconds", 300),
                "policies.retryBackoffMaxSeconds must be at least retryBackoffSeconds (600), got 300");
        refused.forEach((policies, message) -> {
            Http.Response r = fleet.post("/api/v1/rollouts", Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                    "policies", policies, "start", true));
            assertThat(r.status()).as(r.text()).isEqualTo(400);
            assertThat(r.code()).isEqualTo("invalid_policies");
            assertThat(r.json().path("message").asText()).startsWith(message);
        });
        assertThat(fleet.srv.http.get("/api/v1/rollouts", fleet.admin).json().path("items")).isEmpty();
        assertThat(fleet.audit("rollout.create")).isEmpty();
    }
}
