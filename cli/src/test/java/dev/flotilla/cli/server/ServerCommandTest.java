package dev.flotilla.cli.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs {@code flotilla server} as a real process, talks to it, and stops it with SIGTERM. */
class ServerCommandTest {
    @TempDir
    Path dir;

    @Test
    void serverPrintsUrlDataDirAndAdminTokenAndStopsOnSigterm() throws Exception {
        Path data = dir.resolve("data");
        Process p = server(data, 0).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                lines.add(out.readLine());
            }
            assertThat(lines.get(0)).startsWith("Flotilla server listening on http://127.0.0.1:");
            assertThat(lines.get(1)).isEqualTo("Data directory: " + data.toAbsolutePath());
            assertThat(lines.get(3)).contains("Initial admin API token");
            String token = lines.get(4).trim();
            assertThat(token).startsWith("flt_");
            assertThat(lines.get(2)).isEqualTo("Database: jdbc:h2:file:" + data.toAbsolutePath().resolve("flotilla"));
            assertThat(data.resolve("flotilla.mv.db")).exists();
            assertThat(lines.get(5)).isEqualTo("Online keys (snapshot, timestamp, director): " + data.toAbsolutePath().resolve("keys"));
            assertThat(data.resolve("keys/director.pem")).exists();

            URI base = URI.create(lines.get(0).substring("Flotilla server listening on ".length()));
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> tokens = client.send(HttpRequest.newBuilder(base.resolve("/api/v1/tokens"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(tokens.statusCode()).isEqualTo(200);
            assertThat(lines.get(6)).contains("--expect-online-keys");
            HttpResponse<String> online = client.send(HttpRequest.newBuilder(base.resolve("/api/v1/trust/online-keys"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            var keys = new com.fasterxml.jackson.databind.ObjectMapper().readTree(online.body());
            var printed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(7).trim());
            for (String role : List.of("snapshot", "timestamp", "director")) {
                assertThat(printed.path(role).asText()).as(role).isEqualTo(keys.path(role).path("keyid").asText());
            }

            p.toHandle().destroy(); // SIGTERM, leaving our end of stdout open (Process.destroy closes it)
            List<String> rest = new ArrayList<>();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                rest.add(line);
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(rest).containsExactly("Flotilla server stopped.");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void secondServerOnTheSameDataDirectoryFailsWithOneLine() throws Exception {
        Path data = dir.resolve("data");
        Process first = server(data, 0).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).startsWith("Flotilla server listening on");
            Failed second = failed(server(data, 0));
            assertThat(second.exitCode()).isEqualTo(1);
            assertThat(second.stderr()).hasSize(1);
            assertThat(second.stderr().getFirst()).isEqualTo("flotilla: error: data directory " + data.toAbsolutePath()
                    + " is in use by another Flotilla server (its database file is locked); stop that server or"
                    + " choose another data directory");
            assertThat(first.isAlive()).isTrue();
        } finally {
            first.destroyForcibly();
        }
    }

    @Test
    void portInUseFailsWithOneLineNamingThePort() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Failed run = failed(server(dir.resolve("data"), taken.getLocalPort()));
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.stderr()).containsExactly("flotilla: error: port " + taken.getLocalPort()
                    + " on 127.0.0.1 is already in use by another process; stop it or choose another port");
        }
    }

    @Test
    void aPollIntervalAboveADayIsRefusedAtStartWithOneLine() {
        for (String seconds : List.of("86401", "1000000000", "0")) {
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine cl = dev.flotilla.cli.Main.commandLine("server", "--data", dir.resolve("d").toString(),
                    "--port", "0", "--poll-interval", seconds);
            cl.setErr(new java.io.PrintWriter(err, true));

            int code = cl.execute("server", "--data", dir.resolve("d").toString(), "--port", "0", "--poll-interval",
                    seconds);

            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("flotilla: error: the poll interval must be from 1 to 86400 seconds"
                    + " (24 hours), got " + seconds + System.lineSeparator());
            assertThat(dir.resolve("d")).doesNotExist();
        }
    }

    @Test
    void anEventsRetentionOutsideOneDayToTenYearsIsRefusedAtStartWithOneLine() {
        for (String days : List.of("0", "-3", "3651", "9223372036854775807")) {
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine cl = dev.flotilla.cli.Main.commandLine("server", "--data", dir.resolve("d").toString(),
                    "--port", "0", "--events-retention-days", days);
            cl.setErr(new java.io.PrintWriter(err, true));

            int code = cl.execute("server", "--data", dir.resolve("d").toString(), "--port", "0",
                    "--events-retention-days", days);

            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("flotilla: error: the events retention must be from 1 to 3650 days"
                    + " (ten years), got " + days + System.lineSeparator());
            assertThat(dir.resolve("d")).doesNotExist();
        }
    }

    private static ProcessBuilder server(Path data, int port) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main",
                "server", "--data", data.toString(), "--port", String.valueOf(port), "--host", "127.0.0.1");
    }

    private record Failed(int exitCode, List<String> stderr) {
    }

    /** Runs a server that is expected to fail at start: its exit code and its stderr lines. */
    private static Failed failed(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            List<String> err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the server should have stopped").isTrue();
            return new Failed(p.exitValue(), err);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void redactHidesPasswords() {
        assertThat(ServerCommand.redact("jdbc:postgresql://db/f?user=u&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/f?user=u&password=***&ssl=true");
    }

    @Test
    void artifactOptionsMakeTheObjectStoreSettingsWithCredentialsFromTheEnvironmentOrAFile() throws Exception {
        ServerCommand local = new ServerCommand();
        new picocli.CommandLine(local).parseArgs();
        assertThat(local.artifacts(Map.of())).isEqualTo(dev.flotilla.server.artifacts.ArtifactSettings.local());

        ServerCommand s3 = new ServerCommand();
        new picocli.CommandLine(s3).parseArgs("--artifacts", "s3://images/fleet", "--s3-endpoint",
                "http://127.0.0.1:9000", "--s3-region", "eu-west-1", "--s3-path-style", "--artifact-redirect", "presigned");
        var settings = s3.artifacts(Map.of("AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "s3cret"));
        assertThat(settings.location()).hasToString("s3://images/fleet");
        assertThat(settings.endpoint()).hasToString("http://127.0.0.1:9000");
        assertThat(settings.region()).isEqualTo("eu-west-1");
        assertThat(settings.pathStyle()).isTrue();
        assertThat(settings.credentials().accessKeyId()).isEqualTo("AKID");
        assertThat(settings.credentials().toString()).doesNotContain("s3cret");
        assertThat(settings.downloads()).isEqualTo(dev.flotilla.server.artifacts.ArtifactSettings.Downloads.PRESIGNED);

        Path file = dir.resolve("credentials");
        Files.writeString(file, "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = filesecret\n");
        ServerCommand fromFile = new ServerCommand();
        new picocli.CommandLine(fromFile).parseArgs("--artifacts", "s3://images", "--s3-credentials", file.toString(),
                "--artifact-redirect", "https://cdn.example/fw");
        var f = fromFile.artifacts(Map.of("AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "s3cret"));
        assertThat(f.credentials()).isEqualTo(new dev.flotilla.server.artifacts.ArtifactSettings.Credentials("FROMFILE",
                "filesecret"));
        assertThat(f.mirrorBase()).hasToString("https://cdn.example/fw");
    }

    @Test
    void badArtifactOptionsAreOneLine() {
        record Case(String[] args, Map<String, String> env, String message) {
        }
        for (Case c : List.of(
                new Case(new String[] {"--artifacts", "s3://images"}, Map.of(), "object storage needs credentials"),
                new Case(new String[] {"--artifacts", "s3://images"}, Map.of("AWS_ACCESS_KEY_ID", "x"),
                        "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
                new Case(new String[] {"--artifacts", "https://images"}, Map.of(), "must be s3://BUCKET"),
                new Case(new String[] {"--s3-path-style"}, Map.of(), "need --artifacts"),
                new Case(new String[] {"--artifact-redirect", "presigned"}, Map.of(), "presigned redirects need object"),
                new Case(new String[] {"--artifact-redirect", "ftp://mirror"}, Map.of(), "http(s) URL"),
                new Case(new String[] {"--artifacts", "s3://images", "--s3-credentials", "/nonexistent/creds"}, Map.of(),
                        "no such file"))) {
            ServerCommand cmd = new ServerCommand();
            new picocli.CommandLine(cmd).parseArgs(c.args());
            assertThatThrownBy(() -> cmd.artifacts(c.env())).as(String.join(" ", c.args()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(c.message());
        }
    }

    @Test
    void artifactsArePublicOnlyWhenAskedFor() {
        ServerCommand closed = new ServerCommand();
        new picocli.CommandLine(closed).parseArgs();
        assertThat(closed.config().publicArtifacts()).isFalse();
        ServerCommand open = new ServerCommand();
        new picocli.CommandLine(open).parseArgs("--public-artifacts");
        assertThat(open.config().publicArtifacts()).isTrue();
    }

    @Test
    void mqttOptionsMakeTheBrokerLoginWithThePasswordFromAFileOrTheEnvironment() throws Exception {
        Path pw = java.nio.file.Files.writeString(dir.resolve("mqtt-password"), "s3cret\n");
        ServerCommand c = parse("--mqtt-url", "ssl://broker:8883", "--mqtt-username", "flotilla-server",
                "--mqtt-password-file", pw.toString());
        dev.flotilla.core.mqtt.MqttBroker b = c.mqtt(java.util.Map.of("FLOTILLA_MQTT_PASSWORD", "ignored"));
        assertThat(b.username()).contains("flotilla-server");
        assertThat(b.password()).contains("s3cret");
        assertThat(b.tls()).isTrue();
        assertThat(parse("--mqtt-url", "ssl://broker", "--mqtt-username", "srv")
                .mqtt(java.util.Map.of("FLOTILLA_MQTT_PASSWORD", "from-env")).password()).contains("from-env");
        assertThat(parse("--mqtt-url", "tcp://broker").mqtt(java.util.Map.of("FLOTILLA_MQTT_PASSWORD", "x"))
                .password()).as("no user name: no login").isEmpty();
        assertThat(parse().mqtt(java.util.Map.of())).isNull();
    }

    @Test
    void badMqttOptionsAreOneLine() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("--mqtt-username", "srv").mqtt(java.util.Map.of()))
                .hasMessage("--mqtt-username, --mqtt-password-file and --mqtt-ca-bundle need --mqtt-url");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("--mqtt-url", "ssl://b", "--mqtt-username", "s",
                "--mqtt-password-file", dir.resolve("missing").toString()).mqtt(java.util.Map.of()))
                .hasMessage("--mqtt-password-file " + dir.resolve("missing") + ": cannot read: no such file");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("--mqtt-url", "tcp://b", "--mqtt-ca-bundle",
                "ca.pem").mqtt(java.util.Map.of())).hasMessageStartingWith("an MQTT CA bundle needs a TLS broker URL");
    }

    private static ServerCommand parse(String... args) {
        ServerCommand c = new ServerCommand();
        new picocli.CommandLine(c).parseArgs(args);
        return c;
    }
}
