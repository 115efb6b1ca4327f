package dev.flotilla.core.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Minimal PEM reading and writing for SubjectPublicKeyInfo and PKCS#8 blocks. */
public final class Pem {
    private Pem() {
    }

    /** Returns the DER bytes of the first PEM block with the given label. */
    public static byte[] decode(String pem, String label) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new KeyFormatException("no PEM block '" + label + "' found");
        }
        String body = pem.substring(b + begin.length(), e).replaceAll("\\s", "");
        try {
            return Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException ex) {
            throw new KeyFormatException("PEM block '" + label + "' is not valid base64", ex);
        }
    }

    public static boolean contains(String text, String label) {
        return text.contains("-----BEGIN " + label + "-----");
    }

    public static String encode(byte[] der, String label) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + b64 + "\n-----END " + label + "-----\n";
    }
}
