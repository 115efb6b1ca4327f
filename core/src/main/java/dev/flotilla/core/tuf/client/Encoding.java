package dev.flotilla.core.tuf.client;

import java.nio.charset.StandardCharsets;

/** Percent-encoding as python-tuf applies it to role names and target paths. */
final class Encoding {
    private Encoding() {
    }

    /** Encodes everything but unreserved characters (so {@code /} becomes {@code %2F}). */
    static String quote(String s) {
        return encode(s, false);
    }

    /**
     * A single file name for {@code s}: {@link #quote}, with the dots encoded as well when the result would
     * be {@code .} or {@code ..}.
     *
     * @throws IllegalArgumentException for an empty string (it names no file)
     */
    static String fileName(String s) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty target path names no file");
        }
        String q = quote(s);
        return q.chars().allMatch(c -> c == '.') ? q.replace(".", "%2E") : q;
    }

    /** Encodes a URL path, keeping {@code /}. */
    static String quotePath(String s) {
        return encode(s, true);
    }

    private static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/');
            if (unreserved) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }
}
