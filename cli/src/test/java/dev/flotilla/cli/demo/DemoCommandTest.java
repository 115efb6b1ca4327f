package dev.flotilla.cli.demo;

import dev.flotilla.cli.CliRun;
import dev.flotilla.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void theStoryRollsTheGoodReleaseOutToEveryBoardAndHaltsTheBadOneAtTheFirstStage() {
        CliRun run = CliRun.of("demo", "--devices", 12, "--port", 0, "--exit");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("Dashboard: http://127.0.0.1:", "12 boards booted 1.0.0",
                "stage 4 of 4 started (12 devices)", "=> 12 of 12 boards run 1.1.0 (its bytes on their slots match"
                        + " the signed release), no halt",
                "=> halted at stage 1: 1 board(s) (8.3% of the fleet) tried 1.2.0, and their boot counters fell back"
                        + " to 1.1.0 by themselves; 11 never got it; 12 of 12 boards run 1.1.0");
        assertThat(run.out()).doesNotContain("Running until Ctrl-C");
    }

    @Test
    void aFleetOutOfRangeIsOneLine() {
        CliRun run = CliRun.of("demo", "--devices", 1001, "--exit");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("flotilla: error: --devices must be between 1 and 1000");
    }

    @Test
    void demoOnATakenPortSaysWhichPortItUsesInstead() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            DemoCommand demo = new DemoCommand();
            demo.port = taken.getLocalPort();
            StringWriter said = new StringWriter();
            try (Server server = demo.startServer(dir.resolve("server"), new PrintWriter(said))) {
                assertThat(server.port()).isNotEqualTo(taken.getLocalPort());
                assertThat(said.toString().lines()).containsExactly("Port " + taken.getLocalPort()
                        + " is in use by another process; the demo server uses port " + server.port() + " instead.");
            }
        }
    }

    @Test
    void demoOnAFreePortSaysNothingAboutIt() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        DemoCommand demo = new DemoCommand();
        demo.port = free;
        StringWriter said = new StringWriter();
        try (Server server = demo.startServer(dir.resolve("server"), new PrintWriter(said))) {
            assertThat(server.port()).isEqualTo(free);
            assertThat(said.toString()).isEmpty();
        }
    }
}
