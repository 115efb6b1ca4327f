package dev.flotilla.core.crypto;

import java.util.Locale;

/** The key types Flotilla generates, with their TUF keytype and scheme. */
public enum KeyType {
    ED25519("ed25519", "ed25519", "Ed25519"),
    ECDSA_P256("ecdsa", "ecdsa-sha2-nistp256", "EC"),
    RSA("rsa", "rsassa-pss-sha256", "RSA");

    private final String tufKeyType;
    private final String scheme;
    private final String jcaAlgorithm;

    KeyType(String tufKeyType, String scheme, String jcaAlgorithm) {
        this.tufKeyType = tufKeyType;
        this.scheme = scheme;
        this.jcaAlgorithm = jcaAlgorithm;
    }

    public String tufKeyType() {
        return tufKeyType;
    }

    public String scheme() {
        return scheme;
    }

    String jcaAlgorithm() {
        return jcaAlgorithm;
    }

    /** Parses a command-line name: {@code ed25519}, {@code ecdsa-p256} (or {@code ecdsa}), {@code rsa}. */
    public static KeyType fromCliName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ed25519" -> ED25519;
            case "ecdsa-p256", "ecdsa", "p256", "ecdsa-sha2-nistp256" -> ECDSA_P256;
            case "rsa", "rsa-pss" -> RSA;
            default -> throw new KeyFormatException("unknown key type '" + name + "' (use ed25519, ecdsa-p256 or rsa)");
        };
    }

    /** The key type of a TUF key, or fails for unsupported keytype/scheme pairs. */
    public static KeyType fromTuf(String keytype, String scheme) {
        if ("ed25519".equals(keytype) && "ed25519".equals(scheme)) {
            return ED25519;
        }
        if (("ecdsa".equals(keytype) || "ecdsa-sha2-nistp256".equals(keytype)) && "ecdsa-sha2-nistp256".equals(scheme)) {
            return ECDSA_P256;
        }
        if ("rsa".equals(keytype) && "rsassa-pss-sha256".equals(scheme)) {
            return RSA;
        }
        throw new KeyFormatException("unsupported key: keytype '" + keytype + "' with scheme '" + scheme + "'");
    }
}
