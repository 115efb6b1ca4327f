package dev.flotilla.cli.support;

import java.nio.file.Path;

/**
 * A saved connection: the server's base URL, an operator API token for it and, optionally, the PEM file of
 * CAs its HTTPS certificate is checked against. Written by {@code flotilla login}, read by every command that
 * talks to the server when {@code --server} and {@code --token} (and their environment variables) are absent.
 *
 * @param caBundle absolute path, or null for the JDK's default CAs
 */
public record Profile(String server, String token, Path caBundle) {
    public Profile {
        if (server == null || server.isBlank() || token == null || token.isBlank()) {
            throw new IllegalArgumentException("a profile needs a server and a token");
        }
    }

    /** Whether this profile is for the given server URL (a trailing slash aside). */
    public boolean isFor(String url) {
        return url != null && trim(url).equals(trim(server));
    }

    private static String trim(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        return "Profile[server=" + server + ", token=(hidden), caBundle=" + caBundle + "]";
    }
}
