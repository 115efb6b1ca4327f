package dev.flotilla.server.devices;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.errors.DomainError;

import java.security.KeyPair;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the check of a device's signed manifest (the check-in body), without a server: a body either fails
 * to parse ({@link JsonFormatException}, 400 {@code malformed_json}) or is refused with {@link DomainError}
 * (invalid or forbidden: 400 or 403) or yields its {@code signed} part; nothing else may escape. An input
 * starting with {@code !} is the {@code signed} part, which the fuzz target signs with the device key, so that
 * fuzzed manifests also pass the signature check. Committed inputs: {@code ManifestFuzzTestInputs/verify/}; docs/fuzzing.md.
 */
class ManifestFuzzTest {
    private static final KeySigner DEVICE = signer();

    @FuzzTest
    void verify(byte[] input) {
        ObjectNode envelope;
        try {
            if (input.length > 0 && input[0] == '!') {
                ObjectNode signed = CanonicalJson.parseObject(Arrays.copyOfRange(input, 1, input.length));
                envelope = JsonNodeFactory.instance.objectNode();
                envelope.set("signed", signed);
                ObjectNode sig = envelope.putArray("signatures").addObject();
                sig.put("keyid", DEVICE.keyId());
                sig.put("sig", Hex.encode(DEVICE.sign(CanonicalJson.encode(signed))));
            } else {
                envelope = CanonicalJson.parseObject(input);
            }
        } catch (JsonFormatException notABody) {
            return;
        }
        try {
            ObjectNode signed = Manifests.verify(envelope, "dev_1", DEVICE.publicKey());
            assertThat(signed.path("deviceId").textValue()).isEqualTo("dev_1");
        } catch (DomainError refused) {
            assertThat(refused).isInstanceOfAny(DomainError.Invalid.class, DomainError.Forbidden.class);
        }
    }

    private static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }
}
