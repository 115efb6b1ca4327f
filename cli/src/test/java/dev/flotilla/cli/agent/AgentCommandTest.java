package dev.flotilla.cli.agent;

import dev.flotilla.agent.net.DeviceHttp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.net.DeviceIdentity;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.agent.runtime.AgentMain;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.tuf.repo.RepoFixture;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCommandTest {
    @TempDir
    Path dir;

    private Path config(String server, String extra) throws Exception {
        RepoFixture repo = new RepoFixture(dir.resolve("repo"));
        repo.publish();
        Files.copy(dir.resolve("repo/1.root.json"), dir.resolve("root.json"));
        return Files.writeString(dir.resolve("agent.conf"), """
                { "server": "%s", "stateDir": "state", "hardwareId": "board-a", "trustedRoot": "root.json",
                  "enrollmentToken": "flt_not_a_real_token",
                  "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"} %s }
                """.formatted(server, extra));
    }

    @Test
    void aBadConfigIsOneLineNamingTheField() throws Exception {
        Path conf = config("http://127.0.0.1:1", ", \"poll\": {\"jitter\": 5}");
        CliRun run = CliRun.of("agent", "--config", conf);
        assertThat(run.exitCode()).isEqualTo(AgentMain.EXIT_CONFIG);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: " + conf + ": poll.jitter: must be a number from 0 to 1");
    }

    @Test
    void aSlotThatDoesNotExistIsAConfigurationErrorBeforeAnyNetworkTraffic() throws Exception {
        Path conf = config("http://127.0.0.1:1", "");
        Files.writeString(dir.resolve("cmdline"), "flotilla.slot=a\n");
        Files.write(dir.resolve("slot-a.img"), new byte[0]);
        CliRun run = CliRun.of("agent", "--config", conf);
        assertThat(run.exitCode()).isEqualTo(AgentMain.EXIT_CONFIG);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: slots.b " + dir.resolve("slot-b.img")
                + ": does not exist (a slot is a block device or an existing file; the agent does not create it)");
        assertThat(dir.resolve("slot-b.img")).doesNotExist();
    }

    @Test
    void aDecommissionedDeviceExitsWithItsOwnStatusAndOneLine() throws Exception {
        try (Server server = Server.start(ServerConfig.defaults().withDataDir(dir.resolve("server")).withPort(0)
                .withHost("127.0.0.1"))) {
            String admin = server.initialAdminToken().orElseThrow();
            CliRun token = CliRun.of("enrollment-tokens", "create", "--server", server.uri(), "--token", admin,
                    "--description", "test", "--json");
            String secret = new com.fasterxml.jackson.databind.ObjectMapper().readTree(token.out()).path("secret")
                    .asText();
            Path conf = config(server.uri().toString(), "");
            SimulatedBoard.layOut(dir, new byte[0]); // a board with no firmware: enough to start the agent
            // the device enrolled earlier (its identity is in the state directory), then was decommissioned
            String id = new DeviceIdentity(dir.resolve("state"), new FileDurable()).ensureEnrolled(
                    new ServerClient(server.uri(), DeviceHttp.direct(null)), Optional.of(secret), "board-a");
            assertThat(CliRun.of("devices", "decommission", id, "--server", server.uri(), "--token", admin)
                    .exitCode()).isZero();

            CliRun run = CliRun.of("agent", "--config", conf);
            assertThat(run.exitCode()).isEqualTo(AgentMain.EXIT_DECOMMISSIONED);
            assertThat(run.err()).isEqualTo("flotilla: error: the server says this device is decommissioned"
                    + System.lineSeparator());
            assertThat(run.out()).contains("agent: the server says device " + id + " is decommissioned: stopping");
        }
    }

    @Test
    void firstStartMakesTheKeyAndRootThenReportsARefusedEnrollment() throws Exception {
        try (Server server = Server.start(ServerConfig.defaults().withDataDir(dir.resolve("server")).withPort(0)
                .withHost("127.0.0.1"))) {
            Path conf = config(server.uri().toString(), "");
            SimulatedBoard.layOut(dir, new byte[0]); // a board with no firmware: enough to start the agent
            CliRun run = CliRun.of("agent", "--config", conf);
            // a configuration error: systemd's RestartPreventExitStatus keeps it from retrying every 10 s
            assertThat(run.exitCode()).isEqualTo(AgentMain.EXIT_CONFIG);
            assertThat(run.err()).contains("flotilla: error: enrollment: server refused (401 invalid_enrollment_token)")
                    .contains("(check enrollmentToken in " + conf + ")");
            assertThat(dir.resolve("state/device.pem")).exists();
            assertThat(dir.resolve("state/metadata/root.json")).hasSameBinaryContentAs(dir.resolve("root.json"));
        }
    }
}
