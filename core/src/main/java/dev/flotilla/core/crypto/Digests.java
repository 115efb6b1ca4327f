package dev.flotilla.core.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/** Hash algorithms by their TUF names. */
public final class Digests {
    private Digests() {
    }

    /** Whether Flotilla can compute this TUF hash algorithm name. */
    public static boolean isSupported(String tufName) {
        return jcaName(tufName) != null;
    }

    /** @throws IllegalArgumentException for an unsupported algorithm */
    public static MessageDigest create(String tufName) {
        String jca = jcaName(tufName);
        if (jca == null) {
            throw new IllegalArgumentException("unsupported hash algorithm '" + tufName + "'");
        }
        try {
            return MessageDigest.getInstance(jca);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256Hex(byte[] data) {
        return Hex.encode(create("sha256").digest(data));
    }

    private static String jcaName(String tufName) {
        return switch (tufName.toLowerCase(Locale.ROOT)) {
            case "sha256" -> "SHA-256";
            case "sha384" -> "SHA-384";
            case "sha512" -> "SHA-512";
            case "sha224" -> "SHA-224";
            case "sha512_256", "sha512-256" -> "SHA-512/256";
            default -> null;
        };
    }
}
