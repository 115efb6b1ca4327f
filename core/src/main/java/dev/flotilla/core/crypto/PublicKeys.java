package dev.flotilla.core.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/** Decodes and encodes public keys in the forms TUF metadata uses. */
public final class PublicKeys {
    private static final byte[] ED25519_SPKI_PREFIX = Hex.decode("302a300506032b6570032100");
    private static final byte[] P256_SPKI_PREFIX =
            Hex.decode("3059301306072a8648ce3d020106082a8648ce3d030107034200");

    private PublicKeys() {
    }

    /**
     * Decodes a TUF {@code keyval.public} value.
     * ed25519: 32 bytes hex. ecdsa: PEM SubjectPublicKeyInfo or hex uncompressed point (65 bytes).
     * rsa: PEM SubjectPublicKeyInfo.
     *
     * @throws KeyFormatException when the value does not decode to a key of that type
     */
    public static PublicKey decode(KeyType type, String value) {
        try {
            return switch (type) {
                case ED25519 -> {
                    byte[] raw = hex(value, "ed25519 public key");
                    if (raw.length != 32) {
                        throw new KeyFormatException("ed25519 public key must be 32 bytes, got " + raw.length);
                    }
                    yield KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(ED25519_SPKI_PREFIX, raw)));
                }
                case ECDSA_P256 -> {
                    byte[] der;
                    if (Pem.contains(value, "PUBLIC KEY")) {
                        der = Pem.decode(value, "PUBLIC KEY");
                    } else {
                        byte[] point = hex(value, "ecdsa public key");
                        if (point.length != 65 || point[0] != 0x04) {
                            throw new KeyFormatException("ecdsa hex public key must be a 65-byte uncompressed point");
                        }
                        der = concat(P256_SPKI_PREFIX, point);
                    }
                    PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
                    if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                        throw new KeyFormatException("ecdsa key is not on P-256");
                    }
                    yield key;
                }
                case RSA -> KeyFactory.getInstance("RSA").generatePublic(
                        new X509EncodedKeySpec(Pem.decode(value, "PUBLIC KEY")));
            };
        } catch (GeneralSecurityException e) {
            throw new KeyFormatException("cannot decode " + type + " public key: " + e.getMessage(), e);
        }
    }

    /** Encodes a public key the way Flotilla writes it into metadata (ed25519 hex, others PEM). */
    public static String encode(KeyType type, PublicKey key) {
        byte[] der = key.getEncoded();
        if (type == KeyType.ED25519) {
            if (!(key instanceof EdECPublicKey)) {
                throw new KeyFormatException("not an Ed25519 key");
            }
            return Hex.encode(Arrays.copyOfRange(der, der.length - 32, der.length));
        }
        return Pem.encode(der, "PUBLIC KEY");
    }

    private static byte[] hex(String value, String what) {
        try {
            return Hex.decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException(what + " is not hex", e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
