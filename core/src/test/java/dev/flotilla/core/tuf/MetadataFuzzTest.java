package dev.flotilla.core.tuf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.client.TrustedMetadataSet;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the reading of TUF metadata: arbitrary bytes given as any metadata, as the locally trusted root, as
 * the next root and as the timestamp of a client that trusts a valid root. Each step either accepts them or
 * refuses them with {@link RepositoryError} (nothing else may escape). Committed inputs:
 * {@code MetadataFuzzTestInputs/read/}; how to fuzz longer: docs/fuzzing.md.
 */
class MetadataFuzzTest {
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final KeySigner KEY = signer();
    private static final byte[] ROOT = rootBytes();

    @FuzzTest
    void read(byte[] input) {
        try {
            Metadata<Signed> md = Metadata.fromBytes(input);
            md.signedBytes();
            Metadata.verifyThreshold("timestamp", new Role(List.of(KEY.keyId()), 1), Map.of(KEY.keyId(),
                    KEY.publicKey()), md);
        } catch (RepositoryError refused) {
            // documented
        }
        try {
            new TrustedMetadataSet(input, NOW);
        } catch (RepositoryError refused) {
            // documented
        }
        try {
            new TrustedMetadataSet(ROOT, NOW).updateRoot(input);
        } catch (RepositoryError refused) {
            // documented
        }
        try {
            new TrustedMetadataSet(ROOT, NOW).updateTimestamp(input);
        } catch (RepositoryError refused) {
            // documented
        }
    }

    private static KeySigner signer() {
        KeyPair p = KeyPairs.generate(KeyType.ED25519);
        return new KeySigner(KeyType.ED25519, p.getPrivate(), Key.of(KeyType.ED25519, p.getPublic()));
    }

    private static byte[] rootBytes() {
        Map<String, Key> keys = Map.of(KEY.keyId(), KEY.publicKey());
        Map<String, Role> roles = new LinkedHashMap<>();
        for (String r : Root.TOP_LEVEL_ROLES) {
            roles.put(r, new Role(List.of(KEY.keyId()), 1));
        }
        Root root = new Root(Signed.SPEC_VERSION, 1, NOW.plus(Duration.ofDays(365)), true, keys, roles, Map.of());
        return Metadata.of(root).sign(KEY).toBytes();
    }
}
