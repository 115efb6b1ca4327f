package dev.flotilla.server.auth;

import dev.flotilla.core.crypto.Digests;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Bearer secrets: 256 random bits, shown once, stored only as their SHA-256. A 256-bit random secret
 * needs no slow hash: guessing it is as hard as finding a preimage.
 */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    /** A new secret with a readable prefix, e.g. {@code flt_...} for API tokens. */
    public static String newSecret(String prefix) {
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
    }

    /** A short random identifier (96 bits, URL-safe), for ids that are not secret. */
    public static String newId(String prefix) {
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(12));
    }

    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The stored form of a secret: lowercase hex SHA-256 of its UTF-8 bytes. */
    public static String hash(String secret) {
        return Digests.sha256Hex(secret.getBytes(StandardCharsets.UTF_8));
    }
}
