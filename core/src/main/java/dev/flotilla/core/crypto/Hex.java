package dev.flotilla.core.crypto;

import java.util.HexFormat;

/** Lower-case hex, strict on input. */
public final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {
    }

    public static String encode(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    /** @throws IllegalArgumentException when the string is not an even-length hex string */
    public static byte[] decode(String hex) {
        return HEX.parseHex(hex.toLowerCase(java.util.Locale.ROOT));
    }
}
