package dev.flotilla.server.deployments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.server.errors.DomainError;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A deployment request is read strictly, and each refusal is {@code invalid_request} naming the field. */
class DeploymentRequestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DeploymentRequest parse(Map<String, ?> body) {
        return DeploymentRequest.parse(JSON.valueToTree(body));
    }

    private static void assertRefused(Map<String, ?> body, String message) {
        assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(DomainError.Invalid.class, e -> {
            assertThat(e.code()).isEqualTo("invalid_request");
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    @Test
    void readsTheTargetOneAudienceAndTheFlags() {
        DeploymentRequest r = parse(Map.of("target", "fw.bin", "tag", "beta", "forced", true));
        assertThat(r).isEqualTo(new DeploymentRequest("fw.bin", Optional.empty(), Optional.empty(),
                Optional.of("beta"), true, false));
        assertThat(r.audience()).isEqualTo("tag 'beta'");
        assertThat(parse(Map.of("target", "fw.bin", "deviceId", "dev_1")).audience()).isEqualTo("device 'dev_1'");
    }

    @Test
    void refusesEachBadFieldByName() {
        assertRefused(Map.of("group", "lab"), "missing string field 'target'");
        assertRefused(Map.of("target", 7, "group", "lab"), "field 'target' must be a non-empty string");
        assertRefused(Map.of("target", "fw.bin", "deviceId", " "), "field 'deviceId' must be a non-empty string");
        assertRefused(Map.of("target", "fw.bin", "group", "g".repeat(201)),
                "field 'group' is longer than 200 characters");
        assertRefused(Map.of("target", "fw.bin", "group", "lab", "allowEmpty", "yes"),
                "field 'allowEmpty' must be true or false");
    }

    @Test
    void refusesNoneOrTwoAudiences() {
        String message = "give exactly one of 'deviceId', 'group' and 'tag'";
        assertRefused(Map.of("target", "fw.bin"), message);
        assertRefused(Map.of("target", "fw.bin", "group", "lab", "tag", "beta"), message);
    }
}
