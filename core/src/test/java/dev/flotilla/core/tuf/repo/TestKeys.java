package dev.flotilla.core.tuf.repo;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;

import java.security.KeyPair;

/** In-memory signers for tests. */
public final class TestKeys {
    private TestKeys() {
    }

    public static KeySigner signer(KeyType type) {
        KeyPair pair = KeyPairs.generate(type);
        return new KeySigner(type, pair.getPrivate(), Key.of(type, pair.getPublic()));
    }

    public static KeySigner ed25519() {
        return signer(KeyType.ED25519);
    }

    public static RoleKeys roleKeys(int threshold, KeySigner... signers) {
        Key[] keys = new Key[signers.length];
        for (int i = 0; i < signers.length; i++) {
            keys[i] = signers[i].publicKey();
        }
        return RoleKeys.of(threshold, keys);
    }
}
