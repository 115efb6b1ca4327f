package dev.flotilla.cli.e2e;

import dev.flotilla.core.tls.TestCa;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debian's HAProxy as a process running the example configuration {@code docs/haproxy.cfg} as it is, but for the
 * listening address, the certificate (a test CA's, for 127.0.0.1) and the nodes' addresses: each replaced
 * string must be in the file, so a change of the example that the test does not follow fails the test.
 */
final class Haproxy implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/haproxy");

    private final Process process;
    private final URI url;
    private final Path log;

    private Haproxy(Process process, URI url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    /** Skips the calling test, with a message, when HAProxy is not installed. */
    static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(BINARY),
                "haproxy is not installed (apt-get install haproxy): skipping the test behind a load balancer");
    }

    /**
     * Starts HAProxy on a free loopback port with {@code example}, TLS with {@code ca}'s server certificate, in
     * front of the nodes on {@code nodePorts} (node1, node2, ... of the example); its files go to {@code dir}.
     */
    static Haproxy start(Path example, Path dir, TestCa ca, List<Integer> nodePorts) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path pem = dir.resolve("haproxy.pem");
        Files.writeString(pem, Files.readString(ca.serverCert()) + Files.readString(ca.serverKey()));
        String cfg = Files.readString(example);
        cfg = replace(cfg, "bind :443 ssl crt /etc/haproxy/certs/flotilla.pem", "bind 127.0.0.1:" + port + " ssl crt "
                + pem);
        for (int n = 1; n <= nodePorts.size(); n++) {
            cfg = replace(cfg, "10.0.0.1" + n + ":8080", "127.0.0.1:" + nodePorts.get(n - 1));
        }
        // Debian's global section, less what needs root (chroot, user, the admin socket)
        Path file = Files.writeString(dir.resolve("haproxy.cfg"),
                "global\n    maxconn 1000\n    log stdout format raw local0\n\n" + cfg);
        Path log = dir.resolve("haproxy.log");
        Process p = new ProcessBuilder(BINARY.toString(), "-db", "-f", file.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        return new Haproxy(p, URI.create("https://127.0.0.1:" + port), log);
    }

    private static String replace(String cfg, String what, String with) {
        assertThat(cfg).as("docs/haproxy.cfg has '" + what + "'").contains(what);
        return cfg.replace(what, with);
    }

    URI url() {
        return url;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** What HAProxy printed (its request log and any error). */
    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
