package dev.flotilla.core.tuf.client;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.core.tuf.Signer;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** A {@link Signer} over a freshly generated JDK key pair (tests only). */
final class TestSigner implements Signer {
    private final KeyType type;
    private final KeyPair pair;
    private final Key key;

    private TestSigner(KeyType type, KeyPair pair) {
        this.type = type;
        this.pair = pair;
        this.key = Key.of(type, pair.getPublic());
    }

    static TestSigner ed25519() {
        return generate(KeyType.ED25519);
    }

    static TestSigner ecdsa() {
        return generate(KeyType.ECDSA_P256);
    }

    static TestSigner rsa() {
        return generate(KeyType.RSA);
    }

    static TestSigner generate(KeyType type) {
        try {
            KeyPairGenerator g = switch (type) {
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519");
                case ECDSA_P256 -> {
                    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
                    ec.initialize(new ECGenParameterSpec("secp256r1"));
                    yield ec;
                }
                case RSA -> {
                    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
                    rsa.initialize(2048);
                    yield rsa;
                }
            };
            return new TestSigner(type, g.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Key publicKey() {
        return key;
    }

    @Override
    public byte[] sign(byte[] data) {
        return Signatures.sign(type, pair.getPrivate(), data);
    }

    @Override
    public String toString() {
        return type + ":" + keyId().substring(0, 8);
    }
}
