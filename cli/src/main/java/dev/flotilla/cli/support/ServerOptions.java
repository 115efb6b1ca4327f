package dev.flotilla.cli.support;

import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;

/**
 * The {@code --server URL}, {@code --token TOKEN} and {@code --ca-bundle FILE} options of every command that
 * talks to the update server (a picocli mixin), defaulting to the environment variables FLOTILLA_SERVER,
 * FLOTILLA_TOKEN and FLOTILLA_CA_BUNDLE. The CA bundle is the PEM file of CA certificates an HTTPS server's
 * certificate is checked against instead of the JDK's, for a server whose certificate a private CA signed.
 */
public final class ServerOptions {
    @Option(names = "--server", defaultValue = "${env:FLOTILLA_SERVER}", paramLabel = "URL",
            description = "Server base URL (default: env FLOTILLA_SERVER).")
    String server;

    @Option(names = "--token", defaultValue = "${env:FLOTILLA_TOKEN}", paramLabel = "TOKEN",
            description = "API token (default: env FLOTILLA_TOKEN).")
    String token;

    @Option(names = "--ca-bundle", defaultValue = "${env:FLOTILLA_CA_BUNDLE}", paramLabel = "FILE",
            description = "PEM file of CA certificates to trust for the server's HTTPS certificate instead of "
                    + "the JDK's (default: env FLOTILLA_CA_BUNDLE).")
    Path caBundle;

    /** Whether a server is given, by option or environment. */
    public boolean given() {
        return server != null && !server.isBlank();
    }

    /** The server as given, for messages. */
    public String url() {
        return server;
    }

    /**
     * A client for the given server and token.
     *
     * @throws IllegalArgumentException when the server or the token is missing, or the server is not an http(s) URL
     */
    public ServerClient client() {
        if (!given()) {
            throw new IllegalArgumentException("no server: pass --server URL or set FLOTILLA_SERVER");
        }
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("no token: pass --token TOKEN or set FLOTILLA_TOKEN");
        }
        URI base;
        try {
            base = URI.create(server);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server: not a URL: " + server);
        }
        if (base.getScheme() == null || base.getHost() == null
                || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
            throw new IllegalArgumentException("--server: not an http(s) URL: " + server);
        }
        return new ServerClient(base, token, caBundle);
    }
}
