package dev.flotilla.cli.login;

import dev.flotilla.cli.support.Profile;
import dev.flotilla.cli.support.ProfileStore;
import dev.flotilla.cli.support.ResultJson;
import dev.flotilla.cli.support.ServerClient;
import dev.flotilla.cli.support.ServerOptions;
import dev.flotilla.cli.support.ToolCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code flotilla login}: reads an operator API token from a prompt (on a terminal, not echoed) or else the
 * first line of standard input, never from the command line, checks it against the server, and only then
 * saves the server, token and CA bundle as the profile every command that talks to the server falls back to
 * ({@link ProfileStore}). A token the server refuses is reported and nothing is saved.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = "Check an API token against a server and save both, so that commands need no --server and --token.",
        footerHeading = "%nExamples:%n",
        footer = {"  flotilla login --server http://127.0.0.1:8080     (paste the token at the prompt)",
                "  flotilla login --server https://ota.example.com < token.txt",
                "  flotilla devices list                 (uses the saved server and token)",
                "",
                "The token is read from a prompt or standard input, never from the command",
                "line, so it stays out of shell history. The profile is",
                "$XDG_CONFIG_HOME/flotilla/profile.json (else ~/.config/flotilla/profile.json),",
                "readable by you only. --server, --token, FLOTILLA_SERVER and FLOTILLA_TOKEN",
                "still win over it."})
public final class LoginCommand extends ToolCommand {
    @Option(names = "--server", defaultValue = "${env:FLOTILLA_SERVER}", paramLabel = "URL",
            description = "Server base URL (default: env FLOTILLA_SERVER).")
    String server;

    @Option(names = "--ca-bundle", defaultValue = "${env:FLOTILLA_CA_BUNDLE}", paramLabel = "FILE",
            description = "PEM file of CA certificates for the server's HTTPS certificate, saved with the profile"
                    + " (default: env FLOTILLA_CA_BUNDLE).")
    Path caBundle;

    @Mixin
    ResultJson json;

    @Override
    protected int execute() throws Exception {
        if (server == null || server.isBlank()) {
            throw new IllegalArgumentException("no server: pass --server URL (e.g. --server http://127.0.0.1:8080)");
        }
        URI base = ServerOptions.parseUrl(server);
        String token = readToken();
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("no token read: type it at the prompt or pipe it on standard input"
                    + " (flotilla login --server " + server + " < token.txt); nothing was saved");
        }
        ServerClient client = new ServerClient(base, token, caBundle);
        try {
            client.getJson("/api/v1/devices?limit=1");
        } catch (ServerClient.ApiError e) {
            String why = e.status() == 401
                    ? "the server refused this token (" + e.code() + ": " + e.serverMessage() + "); check that you copied"
                            + " all of it, or have an admin create one with 'flotilla tokens create'"
                    : "the server refused the check (" + e.status() + " " + e.code() + ": " + e.serverMessage() + ")";
            return fail(why + "; nothing was saved");
        } catch (IOException e) {
            return fail((e.getMessage() == null ? e.toString() : e.getMessage()) + "; is the server running"
                    + " ('flotilla server')? nothing was saved");
        }
        ProfileStore store = ProfileStore.standard();
        Path ca = caBundle == null ? null : caBundle.toAbsolutePath();
        store.save(new Profile(server, token, ca));
        java.io.PrintWriter text = json.text(spec);
        text.println("logged in to " + server + "; saved the server and token in " + store.file()
                + " (readable by you only)");
        text.println("commands without --server and --token now use them; 'flotilla logout' forgets them");
        json.print(spec, ResultJson.object().put("server", server).put("profile", store.file().toString())
                .put("caBundle", ca == null ? null : ca.toString()));
        return 0;
    }

    /** The token from a prompt without echo when stdin is a terminal, else the first line of stdin. */
    private String readToken() throws IOException {
        Console console = System.console();
        if (console != null && isTerminal(console)) {
            char[] typed = console.readPassword("API token for %s: ", server);
            return typed == null ? null : new String(typed).strip();
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return line == null ? null : line.strip();
    }

    /**
     * Whether the console is a terminal: from Java 22 on, {@link System#console()} may return a console whose
     * input is a pipe, and {@code Console.isTerminal()} (looked up by name, as this code targets Java 21) says so.
     */
    private static boolean isTerminal(Console console) {
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
