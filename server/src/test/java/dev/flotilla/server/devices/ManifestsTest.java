package dev.flotilla.server.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.errors.DomainError;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;

/** The signed manifest's checks, above all the agent's health report ({@code healthState}, {@code healthChecks}). */
class ManifestsTest {
    private final KeySigner device = signer();

    private static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }

    private static ObjectNode manifest(String healthState) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("deviceId", "dev-1").put("agentVersion", "0.1.0").put("bootState", "committed")
                .put("healthState", healthState).put("securityVersion", 1).put("trustedRootVersion", 1);
        return m;
    }

    private ObjectNode envelope(ObjectNode signed) {
        ObjectNode env = JsonNodeFactory.instance.objectNode();
        env.set("signed", signed);
        env.putArray("signatures").addObject().put("keyid", device.keyId())
                .put("sig", Hex.encode(device.sign(CanonicalJson.encode(signed))));
        return env;
    }

    @Test
    void acceptsTheAgentsHealthStatesAndItsPerCheckReport() {
        for (String state : new String[] {"ok", "failing", "unknown"}) {
            ObjectNode m = manifest(state);
            m.putArray("healthChecks").addObject().put("name", "10-services").put("ok", !state.equals("failing"))
                    .put("reasonCode", state.equals("failing") ? "EXIT_NONZERO" : "OK");
            assertThat(Manifests.verify(envelope(m), "dev-1", device.publicKey())).isEqualTo(m);
        }
        ObjectNode empty = manifest("unknown");
        empty.putArray("healthChecks");
        assertThat(Manifests.verify(envelope(empty), "dev-1", device.publicKey())).isEqualTo(empty);
        ObjectNode older = manifest("ok"); // an agent before the report: no healthChecks
        assertThat(Manifests.verify(envelope(older), "dev-1", device.publicKey())).isEqualTo(older);
    }

    @Test
    void refusesAMalformedHealthReportWithAClearMessage() {
        ObjectNode notArray = manifest("ok").put("healthChecks", "all fine");
        assertInvalid(notArray, "healthChecks must be an array of at most 64 checks");
        ObjectNode mistyped = manifest("failing");
        mistyped.putArray("healthChecks").addObject().put("name", "sh").put("ok", "no").put("reasonCode", "EXIT_NONZERO");
        assertInvalid(mistyped, "each of healthChecks must be {\"name\": string, \"ok\": true or false, "
                + "\"reasonCode\": string}");
        ObjectNode tooMany = manifest("ok");
        var list = tooMany.putArray("healthChecks");
        for (int i = 0; i <= Manifests.MAX_HEALTH_CHECKS; i++) {
            list.addObject().put("name", "c" + i).put("ok", true).put("reasonCode", "OK");
        }
        assertInvalid(tooMany, "healthChecks must be an array of at most 64 checks");
    }

    @Test
    void theSlotsAreAnObjectOrTheManifestIsRefused() {
        ObjectNode slots = manifest("ok");
        slots.putObject("slots").putObject("b").put("target", "fw-2.bin").put("version", "2.0");
        assertThat(Manifests.verify(envelope(slots), "dev-1", device.publicKey())).isEqualTo(slots);
        assertInvalid(manifest("ok").put("slots", "a and b"), "field 'slots' must be an object");
    }

    private void assertInvalid(ObjectNode m, String message) {
        assertThatThrownBy(() -> Manifests.verify(envelope(m), "dev-1", device.publicKey()))
                .isInstanceOfSatisfying(DomainError.Invalid.class, e -> {
                    assertThat(e.code()).isEqualTo("invalid_request");
                    assertThat(e.getMessage()).isEqualTo(message);
                });
    }
}
