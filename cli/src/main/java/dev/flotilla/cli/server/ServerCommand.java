package dev.flotilla.cli.server;

import dev.flotilla.cli.support.ToolCommand;
import dev.flotilla.core.mqtt.MqttBroker;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.artifacts.ArtifactSettings;
import dev.flotilla.server.trust.OnlineKeySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code flotilla server}: runs the update server until SIGTERM (or Ctrl-C), then stops it gracefully. A start
 * that cannot happen (port or data directory taken, database unreachable, online keys missing or not the trusted
 * root's) is one line on stderr, exit 1.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        footer = {"", "Examples:",
                "  flotilla server",
                "  flotilla server --data /var/lib/flotilla --port 8443 --tls-cert cert.pem --tls-key key.pem",
                "  flotilla server --database jdbc:postgresql://db.example/flotilla --online-keys /etc/flotilla/keys \\",
                "      --artifacts s3://firmware --s3-endpoint https://minio.example:9000 --s3-credentials s3.properties"},
        description = "Run the update server (management and device API).")
public final class ServerCommand extends ToolCommand {
    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir = ServerConfig.DEFAULT_DATA_DIR;

    @Option(names = "--port", paramLabel = "N", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = ServerConfig.DEFAULT_PORT;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host = "0.0.0.0";

    @Option(names = "--database", paramLabel = "JDBC_URL",
            description = "JDBC URL (default: an H2 file database under the data directory).")
    String databaseUrl;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve HTTPS with this certificate chain (with --tls-key).")
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "PKCS#8 private key for --tls-cert.")
    java.nio.file.Path tlsKey;

    @Option(names = "--poll-interval", paramLabel = "SECONDS", defaultValue = "300",
            description = "Check-in interval told to devices, before jitter: 1 to 86400 (24 hours) "
                    + "(default: ${DEFAULT-VALUE}).")
    long pollSeconds;

    @Option(names = "--events-retention-days", paramLabel = "DAYS", defaultValue = "90",
            description = "Delete device events received more than DAYS days ago: 1 to 3650; the audit log is "
                    + "never deleted (default: ${DEFAULT-VALUE}).")
    long eventsRetentionDays;

    @Option(names = "--mqtt-url", paramLabel = "URL", description = "MQTT broker (tcp://host:port, or "
            + "ssl://host:port for TLS) for wake-up messages on flotilla/devices/{id}/wake.")
    java.net.URI mqttUrl;

    @Option(names = "--public-artifacts",
            description = "Serve released images (/tuf/targets/) to anyone, e.g. to a mirror or CDN. By default only"
                    + " operators and the devices assigned an image may download it. Safe for integrity: devices"
                    + " check every image against the offline-signed TUF metadata.")
    boolean publicArtifacts;

    @Option(names = "--mqtt-username", paramLabel = "NAME", description = "The server's broker account.")
    String mqttUsername;

    @Option(names = "--mqtt-password-file", paramLabel = "FILE", description = "A file holding the broker "
            + "account's password (its first line); default: the environment variable FLOTILLA_MQTT_PASSWORD.")
    Path mqttPasswordFile;

    @Option(names = "--mqtt-ca-bundle", paramLabel = "PEM",
            description = "CA certificates the ssl:// broker is checked against (default: the JDK's CAs).")
    Path mqttCaBundle;

    @Option(names = "--artifacts", paramLabel = "s3://BUCKET[/PREFIX]", description = "Keep release images in "
            + "S3-compatible object storage instead of the data directory. Credentials: AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY, or --s3-credentials.")
    java.net.URI artifacts;

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "The object store's URL (MinIO, Ceph, ...); default: AWS S3 of --s3-region.")
    java.net.URI s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", description = "Signing region (default: us-east-1).")
    String s3Region;

    @Option(names = "--s3-path-style", description = "Address the bucket as URL/BUCKET/KEY instead of BUCKET.HOST/KEY.")
    boolean s3PathStyle;

    @Option(names = "--s3-credentials", paramLabel = "FILE", description = "A file with aws_access_key_id = ... and "
            + "aws_secret_access_key = ... lines (the AWS credentials file format); default: the environment.")
    Path s3Credentials;

    @Option(names = "--artifact-redirect", paramLabel = "presigned|URL", description = "Answer a permitted image "
            + "download with a 302 instead of the bytes: 'presigned' (a presigned URL of --artifacts, valid 15 minutes)"
            + " or a mirror/CDN base URL followed by the image's key (BASE/artifacts/...).")
    String artifactRedirect;

    @Option(names = "--online-keys", paramLabel = "DIR", description = "Read the online keys (snapshot.pem, "
            + "timestamp.pem, director.pem) from DIR, e.g. copied from a secret store; never creates them. "
            + "Default: DATA_DIR/keys, created on first start. Every server of one database needs the same keys.")
    Path onlineKeys;

    @Option(names = "--new-online-keys", description = "Start although the trusted root does not name these online "
            + "keys: only after replacing stolen keys, until flotilla trust rotate --expect-online-keys uploads a "
            + "root naming them.")
    boolean newOnlineKeys;

    @Override
    protected int execute() throws InterruptedException {
        ServerConfig config = config();
        Server server = Server.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            System.out.println("Flotilla server stopped.");
            stopped.countDown();
        }, "flotilla-shutdown"));
        PrintStream out = System.out;
        out.println("Flotilla server listening on " + server.uri());
        out.println("Data directory: " + config.dataDir());
        out.println("Database: " + redact(config.databaseUrl()));
        server.initialAdminToken().ifPresent(t -> {
            out.println("Initial admin API token (shown only this once; store it now):");
            out.println("  " + t);
        });
        out.println("Online keys (snapshot, timestamp, director): " + config.onlineKeysDir());
        out.println("Online key ids (save this line as a file for flotilla trust init --expect-online-keys):");
        out.println("  " + onlineKeyIds(server));
        if (!config.artifacts().equals(ArtifactSettings.local())) {
            out.println("Release images: " + (config.artifacts().location() == null
                    ? config.dataDir().resolve("artifacts") : config.artifacts().location())
                    + switch (config.artifacts().downloads()) {
                        case SERVE -> "";
                        case PRESIGNED -> " (downloads redirected to presigned URLs)";
                        case MIRROR -> " (downloads redirected to " + config.artifacts().mirrorBase() + ")";
                    });
        }
        if (config.publicArtifacts()) {
            out.println("Released images are public (--public-artifacts): anyone may download them.");
        }
        out.flush();
        stopped.await();
        return 0;
    }

    /** The server configuration these options describe. */
    ServerConfig config() {
        return ServerConfig.defaults().withDataDir(dataDir).withPort(port).withHost(host)
                .withDatabaseUrl(databaseUrl).withTls(tlsCert, tlsKey).withMqtt(mqtt(System.getenv()))
                .withPollInterval(java.time.Duration.ofSeconds(pollSeconds)).withPublicArtifacts(publicArtifacts)
                .withEventsRetention(dev.flotilla.server.devices.EventRetention.ofDays(eventsRetentionDays))
                .withArtifacts(artifacts(System.getenv()))
                .withOnlineKeys(new OnlineKeySettings(onlineKeys, newOnlineKeys));
    }

    /** The artifact store of the --artifacts, --s3-* and --artifact-redirect options; {@code env} has the keys. */
    ArtifactSettings artifacts(Map<String, String> env) {
        ArtifactSettings settings;
        if (artifacts == null) {
            if (s3Endpoint != null || s3Region != null || s3PathStyle || s3Credentials != null) {
                throw new IllegalArgumentException("--s3-endpoint, --s3-region, --s3-path-style and --s3-credentials "
                        + "need --artifacts s3://BUCKET[/PREFIX]");
            }
            settings = ArtifactSettings.local();
        } else {
            ArtifactSettings.Credentials credentials = s3Credentials != null
                    ? ArtifactSettings.Credentials.fromFile(s3Credentials)
                    : ArtifactSettings.Credentials.fromEnvironment(env);
            settings = ArtifactSettings.s3(artifacts, s3Endpoint, s3Region, s3PathStyle, credentials);
        }
        if (artifactRedirect == null) {
            return settings;
        }
        if (artifactRedirect.equals("presigned")) {
            return settings.withDownloads(ArtifactSettings.Downloads.PRESIGNED, null);
        }
        try {
            return settings.withDownloads(ArtifactSettings.Downloads.MIRROR, new java.net.URI(artifactRedirect));
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("--artifact-redirect must be 'presigned' or an http(s) URL, got "
                    + artifactRedirect);
        }
    }

    /** The server's online key ids as one JSON line, {@code {"snapshot": ID, "timestamp": ID, "director": ID}}. */
    static String onlineKeyIds(Server server) {
        var ids = dev.flotilla.core.json.CanonicalJson.mapper().createObjectNode();
        server.onlineKeys().publicKeys().forEach((role, key) -> ids.put(role, key.keyId()));
        return ids.toString();
    }

    /** The broker settings of the --mqtt-* options; {@code env} supplies FLOTILLA_MQTT_PASSWORD. */
    MqttBroker mqtt(Map<String, String> env) {
        if (mqttUrl == null) {
            if (mqttUsername != null || mqttPasswordFile != null || mqttCaBundle != null) {
                throw new IllegalArgumentException("--mqtt-username, --mqtt-password-file and --mqtt-ca-bundle "
                        + "need --mqtt-url");
            }
            return null;
        }
        Optional<String> password = mqttUsername == null ? Optional.empty()
                : Optional.ofNullable(env.get("FLOTILLA_MQTT_PASSWORD"));
        if (mqttPasswordFile != null) {
            try {
                password = Optional.of(Files.readAllLines(mqttPasswordFile).stream().findFirst().orElse(""));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--mqtt-password-file " + mqttPasswordFile + ": cannot read: "
                        + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
            }
        }
        return new MqttBroker(mqttUrl, Optional.ofNullable(mqttUsername), password, Optional.ofNullable(mqttCaBundle));
    }

    /** Drops a password query parameter from a JDBC URL before printing it. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
