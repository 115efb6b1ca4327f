package dev.flotilla.cli.support;

import picocli.CommandLine.Option;

import java.net.URI;

/**
 * The {@code --server URL} and {@code --token TOKEN} options of every command that talks to the update server
 * (a picocli mixin), defaulting to the environment variables FLOTILLA_SERVER and FLOTILLA_TOKEN.
 */
public final class ServerOptions {
    @Option(names = "--server", defaultValue = "${env:FLOTILLA_SERVER}", paramLabel = "URL",
            description = "Server base URL (default: env FLOTILLA_SERVER).")
    String server;

    @Option(names = "--token", defaultValue = "${env:FLOTILLA_TOKEN}", paramLabel = "TOKEN",
            description = "API token (default: env FLOTILLA_TOKEN).")
    String token;

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
        return new ServerClient(base, token);
    }
}
