package dev.flotilla.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code server-crash} scenario's server: a child process that a SIGKILL ends at once, and that starts
 * again on the same data and port with everything it had acknowledged.
 */
class ServerProcessTest {
    @TempDir
    Path dir;

    @Test
    void aKilledServerComesBackOnTheSamePortWithItsData() throws Exception {
        String admin;
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), 2, dir.resolve("server.log"))) {
            admin = server.adminToken();
            new AdminApi(server.uri(), admin).enrollmentToken(3);
            long first = server.pid();
            var uri = server.uri();

            server.kill();
            assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            server.restart();

            assertThat(server.pid()).isNotEqualTo(first);
            assertThat(server.uri()).isEqualTo(uri);
            assertThat(server.adminToken()).isEqualTo(admin);
            // the admin token and the enrollment token made before the kill are there after it
            var tokens = new AdminApi(server.uri(), admin).get("/api/v1/enrollment-tokens").path("items");
            assertThat(tokens).hasSize(1);
            assertThat(tokens.get(0).path("maxUses").asInt()).isEqualTo(3);
        }
        assertThat(Files.readString(dir.resolve("server.log"))).contains(ServerMain.LISTENING)
                .doesNotContain(admin);
    }
}
