package dev.flotilla.cli.bench;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;

import java.security.KeyPair;

/** Throw-away keys for benchmarks. */
final class BenchKeys {
    private BenchKeys() {
    }

    static KeyPair generate(KeyType type) {
        return KeyPairs.generate(type);
    }

    static Signer signer(KeyType type) {
        KeyPair kp = KeyPairs.generate(type);
        return new KeySigner(type, kp.getPrivate(), Key.of(type, kp.getPublic()));
    }
}
