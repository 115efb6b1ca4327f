package dev.flotilla.cli.bench;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** Throw-away keys for benchmarks. */
final class BenchKeys {
    private BenchKeys() {
    }

    static KeyPair generate(KeyType type) throws GeneralSecurityException {
        return switch (type) {
            case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            case ECDSA_P256 -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                yield g.generateKeyPair();
            }
            case RSA -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(3072);
                yield g.generateKeyPair();
            }
        };
    }

    static Signer signer(KeyType type) throws GeneralSecurityException {
        KeyPair kp = generate(type);
        Key key = Key.of(type, kp.getPublic());
        return new Signer() {
            @Override
            public Key publicKey() {
                return key;
            }

            @Override
            public byte[] sign(byte[] data) {
                return Signatures.sign(type, kp.getPrivate(), data);
            }
        };
    }
}
