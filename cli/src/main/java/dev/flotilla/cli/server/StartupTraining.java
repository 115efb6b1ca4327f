package dev.flotilla.cli.server;

import dev.flotilla.cli.Main;
import dev.flotilla.server.Server;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run behind the launcher's class-data archive (see {@code ./flotilla} and docs/benchmarks.md,
 * "Server start-up"): does what a server start does, in a temporary data directory, and then exits normally,
 * so that the JVM can write the classes it loaded ({@code -XX:ArchiveClassesAtExit}, or an AOT cache) while
 * nothing else runs. It parses {@code flotilla server} options as the command does, starts a server on a
 * fresh directory (keys made, migrations applied, admin token created), answers a few requests, stops,
 * starts again on the same data (the restart path) and stops. Exit code 0 when all went well, 1 otherwise.
 */
public final class StartupTraining {
    private static final List<String> OPEN = List.of("/healthz", "/livez", "/api/openapi.json", "/metrics",
            "/no-such-route", "/api/v1/devices", "/api/v1/trust/root");
    private static final List<String> ADMIN = List.of("/api/v1/tokens", "/api/v1/devices", "/api/v1/releases",
            "/api/v1/deployments", "/api/v1/audit", "/api/v1/enrollment-tokens");

    private StartupTraining() {
    }

    public static void main(String[] args) {
        int code;
        try {
            run();
            code = 0;
        } catch (Exception e) {
            System.err.println("startup training failed: " + e);
            code = 1;
        }
        System.exit(code);
    }

    /** Two server starts (fresh data, then existing data) with a few requests each, in a temporary directory. */
    static void run() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("flotilla-training");
        try {
            HttpClient client = HttpClient.newHttpClient();
            String admin = startRequestStop(dir, client, null);
            startRequestStop(dir, client, admin);
        } finally {
            deleteTree(dir);
        }
    }

    private static String startRequestStop(Path dir, HttpClient client, String knownAdmin)
            throws IOException, InterruptedException {
        String[] args = {"server", "--data", dir.resolve("data").toString(), "--port", "0", "--host", "127.0.0.1"};
        CommandLine.ParseResult parsed = Main.commandLine(args).parseArgs(args);
        ServerCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
        try (Server server = Server.start(command.config())) {
            String admin = server.initialAdminToken().orElse(knownAdmin);
            if (admin == null) {
                throw new IllegalStateException("the first start made no admin token");
            }
            URI base = server.uri();
            expect(client, base, "/healthz", null, 200);
            for (String path : OPEN) {
                send(client, base, path, null);
            }
            for (String path : ADMIN) {
                expect(client, base, path, admin, 200);
            }
            return admin;
        }
    }

    private static void expect(HttpClient client, URI base, String path, String bearer, int status)
            throws IOException, InterruptedException {
        int got = send(client, base, path, bearer);
        if (got != status) {
            throw new IllegalStateException("GET " + path + " answered " + got + ", expected " + status);
        }
    }

    private static int send(HttpClient client, URI base, String path, String bearer)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
