package dev.flotilla.core.director;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Role;
import dev.flotilla.core.tuf.Root;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.client.TargetInfo;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the device's check of a director assignment: whatever the server sends, {@link AssignmentVerifier}
 * answers with a decision and throws nothing. An input starting with {@code !} is the {@code signed} part,
 * which the fuzz target signs with the trusted director key, so that the checks after the signature (device,
 * expiry, counter, target, firmware policy) see fuzzed values too. Committed inputs:
 * {@code AssignmentFuzzTestInputs/verify/}; how to fuzz longer: docs/fuzzing.md.
 */
class AssignmentFuzzTest {
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final KeySigner DIRECTOR = signer();
    private static final Root ROOT = root();
    private static final TargetFile ENTRY = TargetFile.of("firmware 2.0".getBytes(),
            new FirmwareInfo(List.of("board-a"), "2.0.0", 5).toCustom());
    private static final Function<String, Optional<TargetInfo>> TARGETS =
            p -> p.equals("fw-2.bin") ? Optional.of(new TargetInfo(p, ENTRY, "targets")) : Optional.empty();
    private static final AssignmentVerifier.DeviceState DEVICE =
            new AssignmentVerifier.DeviceState("dev_1", 3, new DeviceFacts("board-a", "1.0.0", 4));

    @FuzzTest
    void verify(byte[] input) {
        AssignmentDecision decision;
        if (input.length > 0 && input[0] == '!') {
            JsonNode signed;
            byte[] signedBytes;
            try {
                signed = CanonicalJson.parse(Arrays.copyOfRange(input, 1, input.length));
                signedBytes = CanonicalJson.encode(signed);
            } catch (JsonFormatException notSignable) {
                return;
            }
            ObjectNode env = JsonNodeFactory.instance.objectNode();
            env.set("signed", signed);
            ObjectNode sig = env.putArray("signatures").addObject();
            sig.put("keyid", DIRECTOR.keyId());
            sig.put("sig", Hex.encode(DIRECTOR.sign(signedBytes)));
            decision = AssignmentVerifier.verify(env, ROOT, DEVICE, NOW, TARGETS);
        } else {
            decision = AssignmentVerifier.verify(input, ROOT, DEVICE, NOW, TARGETS);
        }
        assertThat(decision).isNotNull();
    }

    private static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }

    private static Root root() {
        Map<String, Key> keys = new LinkedHashMap<>();
        Map<String, Role> roles = new LinkedHashMap<>();
        keys.put(DIRECTOR.keyId(), DIRECTOR.publicKey());
        for (String r : List.of("root", "targets", "snapshot", "timestamp", "director")) {
            roles.put(r, new Role(List.of(DIRECTOR.keyId()), 1));
        }
        return new Root(Signed.SPEC_VERSION, 1, NOW.plus(Duration.ofDays(365)), true, keys, roles, Map.of());
    }
}
