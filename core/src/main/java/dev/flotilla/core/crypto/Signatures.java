package dev.flotilla.core.crypto;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/** Creates and verifies signatures for the supported schemes. */
public final class Signatures {
    private static final int SHA256_LEN = 32;

    private Signatures() {
    }

    /**
     * Signs data. ed25519: 64-byte signature; ecdsa: DER; rsa: RSASSA-PSS with SHA-256, MGF1-SHA-256 and
     * a 32-byte salt (what securesystemslib writes).
     */
    public static byte[] sign(KeyType type, PrivateKey key, byte[] data) {
        return sign(type, key, data, null);
    }

    /**
     * Signs data as {@link #sign(KeyType, PrivateKey, byte[])} does, with the given JCA provider (a
     * SunPKCS11 instance for a key on a token), or the default providers when {@code provider} is null.
     */
    public static byte[] sign(KeyType type, PrivateKey key, byte[] data, Provider provider) {
        try {
            Signature s = instance(type, saltFor(type, key, false), provider);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new KeyFormatException("cannot sign with " + type + " key: " + e.getMessage(), e);
        }
    }

    /**
     * Verifies a signature; returns false (never throws) for a signature that does not verify or is
     * malformed. RSA-PSS accepts a salt of the digest length or the maximum length (PSS.AUTO signers).
     */
    public static boolean verify(KeyType type, PublicKey key, byte[] signature, byte[] data) {
        if (type == KeyType.RSA) {
            return verifyOnce(type, key, signature, data, SHA256_LEN)
                    || verifyOnce(type, key, signature, data, saltFor(type, key, true));
        }
        return verifyOnce(type, key, signature, data, 0);
    }

    private static boolean verifyOnce(KeyType type, PublicKey key, byte[] signature, byte[] data, int salt) {
        try {
            Signature s = instance(type, salt, null);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static int saltFor(KeyType type, java.security.Key key, boolean max) {
        if (type != KeyType.RSA) {
            return 0;
        }
        if (!max) {
            return SHA256_LEN;
        }
        int emLen = (((RSAKey) key).getModulus().bitLength() - 1 + 7) / 8;
        return Math.max(0, emLen - SHA256_LEN - 2);
    }

    private static Signature instance(KeyType type, int salt, Provider provider) throws GeneralSecurityException {
        String algorithm = switch (type) {
            case ED25519 -> "Ed25519";
            case ECDSA_P256 -> "SHA256withECDSA";
            case RSA -> "RSASSA-PSS";
        };
        Signature s = provider == null ? Signature.getInstance(algorithm) : Signature.getInstance(algorithm, provider);
        return switch (type) {
            case ED25519, ECDSA_P256 -> s;
            case RSA -> {
                s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, salt, 1));
                yield s;
            }
        };
    }
}
