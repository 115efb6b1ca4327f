package dev.flotilla.cli.demo;

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
