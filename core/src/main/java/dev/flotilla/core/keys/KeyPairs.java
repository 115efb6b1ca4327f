package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyType;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/** Generates key pairs for the supported key types. */
public final class KeyPairs {
    /** RSA modulus size Flotilla generates (verification accepts any size the JDK does). */
    public static final int RSA_BITS = 3072;

    private KeyPairs() {
    }

    /** A fresh key pair: Ed25519, ECDSA on P-256, or RSA-3072 (used with RSASSA-PSS). */
    public static KeyPair generate(KeyType type) {
        try {
            return switch (type) {
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                case ECDSA_P256 -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    yield g.generateKeyPair();
                }
                case RSA -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(new RSAKeyGenParameterSpec(RSA_BITS, RSAKeyGenParameterSpec.F4));
                    yield g.generateKeyPair();
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate " + type + " keys", e);
        }
    }

    /** JCA key factory algorithm name for a key type. */
    static String jcaAlgorithm(KeyType type) {
        return switch (type) {
            case ED25519 -> "Ed25519";
            case ECDSA_P256 -> "EC";
            case RSA -> "RSA";
        };
    }
}
