package dev.flotilla.cli.support;

import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@code --server URL}, {@code --token TOKEN} and {@code --ca-bundle FILE} options of every command that
 * talks to the update server (a picocli mixin), defaulting to the environment variables FLOTILLA_SERVER,
 * FLOTILLA_TOKEN and FLOTILLA_CA_BUNDLE, and then to the profile {@code flotilla login} saved
 * ({@link ProfileStore}), which is not read when both a server and a token are given. The saved token and CA
 * bundle are used only for the saved server: a command given another server never sends them there. The CA
 * bundle is the PEM file of CA certificates an HTTPS server's certificate is checked against instead of the
 * JDK's, for a server whose certificate a private CA signed.
 */
public final class ServerOptions {
    @Option(names = "--server", defaultValue = "${env:FLOTILLA_SERVER}", paramLabel = "URL",
            description = "Server base URL (default: env FLOTILLA_SERVER, then the profile 'flotilla login' saved).")
    String server;

    @Option(names = "--token", defaultValue = "${env:FLOTILLA_TOKEN}", paramLabel = "TOKEN",
            description = "API token (default: env FLOTILLA_TOKEN, then the saved profile's; prefer 'flotilla login'"
                    + " or the env to keep it out of shell history).")
    String token;

    @Option(names = "--ca-bundle", defaultValue = "${env:FLOTILLA_CA_BUNDLE}", paramLabel = "FILE",
            description = "PEM file of CA certificates to trust for the server's HTTPS certificate instead of "
                    + "the JDK's (default: env FLOTILLA_CA_BUNDLE, then the saved profile's).")
    Path caBundle;

    private Optional<Profile> saved;

    /** Whether a server is given, by option, environment or saved profile. */
    public boolean given() {
        return url() != null;
    }

    /** The server as given (by option or environment, else the saved profile's), for messages; or null. */
    public String url() {
        if (server != null && !server.isBlank()) {
            return server;
        }
        return saved().map(Profile::server).orElse(null);
    }

    /**
     * A client for the given server and token.
     *
     * @throws IllegalArgumentException when the server or the token is missing, or the server is not an http(s) URL
     */
    public ServerClient client() {
        String url = url();
        if (url == null) {
            throw new IllegalArgumentException("no server: pass --server URL, set FLOTILLA_SERVER, or save one with"
                    + " 'flotilla login --server URL'");
        }
        Credentials c = credentials(url, server != null && !server.isBlank(), token, caBundle, this::saved);
        return new ServerClient(c.server(), c.token(), c.caBundle());
    }

    /**
     * What a command needs to reach one server: its base URL, an API token for it, and the PEM file of CAs its
     * HTTPS certificate is checked against (null: the JDK's).
     */
    public record Credentials(URI server, String token, Path caBundle) {
        @Override
        public String toString() {
            return "Credentials[server=" + server + ", token=(hidden), caBundle=" + caBundle + "]";
        }
    }

    /**
     * The credentials for {@code url}, a server given on the command line: {@code token} and {@code caBundle}
     * as given (by option, or by their environment variables as picocli's defaults give them), else those of the
     * profile {@code flotilla login} saved, only when it is for {@code url}; with a token given the profile is
     * not read. The rule every command that talks to a server follows ({@link #client()} included).
     *
     * @throws IllegalArgumentException (one line) when no token is given or saved for {@code url}, or {@code url}
     *     is not an http(s) URL
     */
    public static Credentials credentials(String url, String token, Path caBundle) {
        return credentials(url, true, token, caBundle, () -> ProfileStore.standard().load());
    }

    /**
     * As {@link #credentials(String, String, Path)}, {@code url} given on the command line or by the
     * environment ({@code urlGiven}) or else the saved profile's, with the saved profile from {@code saved}
     * (asked only when a token or CA bundle may come from it).
     */
    static Credentials credentials(String url, boolean urlGiven, String token, Path caBundle,
                                   Supplier<Optional<Profile>> saved) {
        boolean tokenGiven = token != null && !token.isBlank();
        Optional<Profile> profile = urlGiven && tokenGiven ? Optional.empty() : savedFor(url, saved);
        String t = tokenGiven ? token : profile.map(Profile::token).orElse(null);
        if (t == null) {
            throw new IllegalArgumentException("no token: pass --token TOKEN, set FLOTILLA_TOKEN, or save one with"
                    + " 'flotilla login --server " + url + "'");
        }
        return new Credentials(parseUrl(url), t, orSaved(caBundle, () -> profile));
    }

    /**
     * The CA bundle for {@code url}, a server given on the command line, for a command that takes no API token
     * ({@code flotilla sim device}, whose board enrolls with an enrollment token): {@code caBundle} as given (by
     * option, or by FLOTILLA_CA_BUNDLE as picocli's default gives it), else that of the profile {@code flotilla
     * login} saved, only when it is for {@code url}; null for the JDK's CAs. The rule of
     * {@link #credentials(String, String, Path)} for the CA bundle alone.
     */
    public static Path caBundle(String url, Path caBundle) {
        return caBundle(url, caBundle, () -> ProfileStore.standard().load());
    }

    /** As {@link #caBundle(String, Path)}, the saved profile from {@code saved} (asked only when none is given). */
    static Path caBundle(String url, Path caBundle, Supplier<Optional<Profile>> saved) {
        return orSaved(caBundle, () -> savedFor(url, saved));
    }

    /** {@code given}, else the CA bundle of the profile {@code profile} gives (already the one for the server). */
    private static Path orSaved(Path given, Supplier<Optional<Profile>> profile) {
        return given != null ? given : profile.get().map(Profile::caBundle).orElse(null);
    }

    /** The saved profile, when it is for {@code url}. */
    private static Optional<Profile> savedFor(String url, Supplier<Optional<Profile>> saved) {
        return saved.get().filter(p -> p.isFor(url));
    }

    /**
     * A server base URL.
     *
     * @throws IllegalArgumentException (one line) when it is not an http(s) URL
     */
    public static URI parseUrl(String server) {
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
        return base;
    }

    private Optional<Profile> saved() {
        if (saved == null) {
            saved = ProfileStore.standard().load();
        }
        return saved;
    }
}
