package dev.flotilla.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigParserTest {
    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        return Files.writeString(dir.resolve("agent.conf"), text);
    }

    private static final String MINIMAL = """
            { "server": "http://127.0.0.1:8080", "stateDir": "state", "hardwareId": "hw",
              "trustedRoot": "root.json", "slots": {"a": "slot-a.img", "b": "slot-b.img"},
              "bootControl": {"backend": "simulated", "stateFile": "boot.env", "cmdline": "cmdline"} %s }
            """;

    @Test
    void theShippedExampleParses() throws IOException {
        Path f = dir.resolve("example.conf");
        try (InputStream in = getClass().getResourceAsStream("/example-agent.conf")) {
            Files.write(f, in.readAllBytes());
        }
        AgentConfig c = AgentConfigParser.parse(f, Map.of());
        assertThat(c.server()).isEqualTo(URI.create("https://updates.example.com"));
        assertThat(c.metadataUrl()).isEqualTo(URI.create("https://updates.example.com/tuf/metadata/"));
        assertThat(c.imageMirrors()).containsExactly(URI.create("https://cdn.example.com/flotilla/targets/"));
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/flotilla"));
        assertThat(c.boot().backend()).isEqualTo(AgentConfig.BootConfig.Backend.UBOOT);
        assertThat(c.boot().fwEnvConfig()).isEqualTo(Path.of("/etc/fw_env.config"));
        assertThat(c.health().commands()).hasSize(2);
        assertThat(c.health().commands().get(1).timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.health().minimumUptime()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.health().grace()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.health().retryInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.poll().jitter()).isEqualTo(0.2);
        assertThat(c.maintenance().zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(c.maintenance().windows()).containsExactly("02:00-04:30");
        assertThat(c.rebootCommand()).containsExactly("systemctl", "reboot");
        assertThat(c.mqtt()).isEmpty();
        assertThat(c.enrollmentToken()).isEmpty();
    }

    @Test
    void relativePathsResolveAgainstTheFileAndDefaultsApply() throws IOException {
        AgentConfig c = AgentConfigParser.parse(write(MINIMAL.formatted(", \"enrollmentToken\": \"from-file\"")),
                Map.of("FLOTILLA_ENROLLMENT_TOKEN", "from-env"));
        assertThat(c.stateDir()).isEqualTo(dir.resolve("state"));
        assertThat(c.slots().a()).isEqualTo(dir.resolve("slot-a.img"));
        assertThat(c.boot().stateFile()).isEqualTo(dir.resolve("boot.env"));
        assertThat(c.targetsUrl()).isEqualTo(URI.create("http://127.0.0.1:8080/tuf/targets/"));
        assertThat(c.imageMirrors()).isEmpty();
        assertThat(c.poll().interval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.enrollmentToken()).isEqualTo(Optional.of("from-env"));
        assertThat(c.maintenance().windows()).isEmpty();
        assertThat(c.boot().trialTries()).isEqualTo(3);
        assertThat(c.health().grace()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.health().retryInterval()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void imageMirrorsKeepTheirOrderAndEndInASlash() throws IOException {
        AgentConfig c = AgentConfigParser.parse(write(MINIMAL.formatted(
                ", \"imageMirrors\": [\"http://10.0.0.5:8080/fw\", \"https://cdn.example/t/\"]")), Map.of());
        assertThat(c.imageMirrors()).containsExactly(URI.create("http://10.0.0.5:8080/fw/"),
                URI.create("https://cdn.example/t/"));
    }

    @Test
    void mqttLogsInWithTheDeviceIdAndThePasswordFileAndUsesTheCaBundleForTls() throws IOException {
        Files.writeString(dir.resolve("mqtt-password"), "s3cret\n");
        AgentConfig c = AgentConfigParser.parse(write(MINIMAL.formatted(
                ", \"mqtt\": {\"broker\": \"ssl://broker.example.com\", \"passwordFile\": \"mqtt-password\"}")), Map.of());
        dev.flotilla.core.mqtt.MqttBroker b = c.mqtt().orElseThrow().broker("dev_1", Optional.of(dir.resolve("ca.pem")));
        assertThat(b.username()).contains("dev_1");
        assertThat(b.password()).contains("s3cret");
        assertThat(b.port()).isEqualTo(8883);
        assertThat(b.caBundle()).contains(dir.resolve("ca.pem"));
        AgentConfig named = AgentConfigParser.parse(write(MINIMAL.formatted(
                ", \"mqtt\": {\"broker\": \"tcp://broker:1884\", \"username\": \"gw-7\"}")), Map.of());
        dev.flotilla.core.mqtt.MqttBroker plain = named.mqtt().orElseThrow().broker("dev_1", Optional.of(dir.resolve("ca.pem")));
        assertThat(plain.username()).contains("gw-7");
        assertThat(plain.password()).isEmpty();
        assertThat(plain.caBundle()).as("the CA bundle is for TLS brokers only").isEmpty();
    }

    @Test
    void badConfigsNameTheFieldAndTheProblem() throws IOException {
        record Case(String extra, String message) {
        }
        List<Case> cases = List.of(
                new Case(", \"pol\": {}", "pol: unknown field"),
                new Case(", \"poll\": {\"jitter\": 2}", "poll.jitter: must be a number from 0 to 1"),
                new Case(", \"poll\": {\"intervalSeconds\": -1}", "poll.intervalSeconds: must be a positive integer"),
                new Case(", \"poll\": {\"intervalSeconds\": 86401}", "poll.intervalSeconds: must be at most 86400 (24 hours)"),
                new Case(", \"poll\": {\"maxBackoffSeconds\": 9223372036854775807}",
                        "poll.maxBackoffSeconds: must be at most 86400 (24 hours)"),
                new Case(", \"maintenance\": {\"windows\": [\"2am-4am\"]}", "maintenance.windows[0]: window must look like"),
                new Case(", \"maintenance\": {\"timezone\": \"Mars/Base\"}", "maintenance.timezone: unknown time zone"),
                new Case(", \"health\": {\"commands\": [{\"timeoutSeconds\": 3}]}", "health.commands[0].command: required"),
                new Case(", \"health\": {\"graceSeconds\": -5}", "health.graceSeconds: must be an integer >= 0"),
                new Case(", \"health\": {\"retryIntervalSeconds\": 0}",
                        "health.retryIntervalSeconds: must be a positive integer"),
                new Case(", \"mqtt\": {\"broker\": \"nohost\"}", "mqtt.broker: must be an absolute URL"),
                new Case(", \"mqtt\": {\"broker\": \"http://broker\"}",
                        "mqtt.broker: MQTT URL must look like tcp://host:port or ssl://host:port"),
                new Case(", \"mqtt\": {\"broker\": \"ssl://broker\", \"passwordFile\": \"nope\"}",
                        "mqtt.passwordFile: " + dir.resolve("nope") + ": no such file"),
                new Case(", \"mqtt\": {\"broker\": \"ssl://broker\", \"user\": \"x\"}", "mqtt.user: unknown field"),
                new Case(", \"rebootCommand\": []", "rebootCommand: must be a non-empty array"),
                new Case(", \"imageMirrors\": \"https://cdn\"", "imageMirrors: must be an array of base URLs"),
                new Case(", \"imageMirrors\": [7]", "imageMirrors[0]: must be a URL string"),
                new Case(", \"imageMirrors\": [\"https://ok/\", \"ftp://mirror/\"]",
                        "imageMirrors[1]: must be an http(s) base URL"),
                new Case(", \"imageMirrors\": [\"https://cdn/x?sig=1\"]", "imageMirrors[0]: must be an http(s) base URL"),
                new Case(", \"hardwareId\": \"dup\"", "Duplicate field 'hardwareId'"),
                new Case(", \"caBundle\": \"ca\\u0000.pem\"", "caBundle: not a valid path"),
                new Case(", \"health\": {\"graceSeconds\": 18446744073709551616}",
                        "health.graceSeconds: must be at most 9223372036854775807"),
                new Case(", \"health\": {\"graceSeconds\": -18446744073709551616}",
                        "health.graceSeconds: must be an integer >= 0"));
        for (Case c : cases) {
            Path f = write(MINIMAL.formatted(c.extra()));
            assertThatThrownBy(() -> AgentConfigParser.parse(f, Map.of()))
                    .as(c.extra()).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(f.toString()).hasMessageContaining(c.message());
        }
        Path noSlots = write("{\"server\": \"http://h\", \"stateDir\": \"s\", \"hardwareId\": \"h\", \"trustedRoot\": \"r\"}");
        assertThatThrownBy(() -> AgentConfigParser.parse(noSlots, Map.of())).hasMessageContaining("slots: required");
        Path badBackend = write(MINIMAL.formatted("").replace("\"simulated\"", "\"lilo\""));
        assertThatThrownBy(() -> AgentConfigParser.parse(badBackend, Map.of()))
                .hasMessageContaining("bootControl.backend: must be simulated, uboot or grub, not 'lilo'");
        Path manyTries = write(MINIMAL.formatted("").replace("\"cmdline\": \"cmdline\"",
                "\"cmdline\": \"cmdline\", \"trialTries\": 4294967297"));
        assertThatThrownBy(() -> AgentConfigParser.parse(manyTries, Map.of()))
                .hasMessageContaining("bootControl.trialTries: must be at most 2147483647");
        for (String overLimit : List.of("[".repeat(1500) + "]".repeat(1500), "{\"a\": " + "1".repeat(2000) + "}")) {
            Path f = write(overLimit);
            assertThatThrownBy(() -> AgentConfigParser.parse(f, Map.of())).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(f + ": not valid JSON: ");
        }
        Path notJson = write("{ \"server\": ");
        assertThatThrownBy(() -> AgentConfigParser.parse(notJson, Map.of())).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> AgentConfigParser.parse(dir.resolve("missing.conf"), Map.of()))
                .hasMessageContaining("cannot read");
    }
}
