package dev.flotilla.cli.e2e;

import dev.flotilla.core.testing.RequiredTools;
import dev.flotilla.core.tls.TestCa;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
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
 * string must be in the file, so a change of the example that the test does not follow fails the test. The
 * example's {@code server} lines beyond the nodes given are left out. Its admin socket (in the test's global
 * section) takes the runtime commands of docs/deployment.md, "Upgrades".
 */
final class Haproxy implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/haproxy");

    private final Process process;
    private final URI url;
    private final Path log;
    private final Path socket;

    private Haproxy(Process process, URI url, Path log, Path socket) {
        this.process = process;
        this.url = url;
        this.log = log;
        this.socket = socket;
    }

    /** Skips the calling test, with a message, when HAProxy is not installed (fails it under CI). */
    static void assumeInstalled() {
        RequiredTools.assumeInstalled(Files.isExecutable(BINARY),
                "haproxy is not installed (apt-get install haproxy): skipping the test behind a load balancer");
    }

    /**
     * Starts HAProxy on a free loopback port with {@code example}, TLS with {@code ca}'s server certificate, in
     * front of the nodes on {@code nodePorts} (node1, node2, ... of the example); its files go to {@code dir}.
     */
    static Haproxy start(Path example, Path dir, TestCa ca, List<Integer> nodePorts)
            throws IOException, InterruptedException {
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
        for (int n = nodePorts.size() + 1; cfg.contains("server node" + n + " "); n++) {
            cfg = replace(cfg, "    server node" + n + " 10.0.0.1" + n + ":8080\n", "");
        }
        // Debian's global section, less what needs root (chroot, user), the admin socket in the test's directory
        Path socket = dir.resolve("admin.sock");
        Path file = Files.writeString(dir.resolve("haproxy.cfg"), "global\n    maxconn 1000\n"
                + "    log stdout format raw local0\n    stats socket " + socket + " mode 600 level admin\n\n" + cfg);
        Path log = dir.resolve("haproxy.log");
        Process p = new ProcessBuilder(BINARY.toString(), "-db", "-f", file.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        for (int i = 0; i < 600 && !Files.exists(socket) && p.isAlive(); i++) {
            Thread.sleep(50); // HAProxy makes its admin socket when it has read its configuration
        }
        return new Haproxy(p, URI.create("https://127.0.0.1:" + port), log, socket);
    }

    private static String replace(String cfg, String what, String with) {
        assertThat(cfg).as("docs/haproxy.cfg has '" + what + "'").contains(what);
        return cfg.replace(what, with);
    }

    URI url() {
        return url;
    }

    /** Runs one command on the admin socket (e.g. {@code disable server flotilla_nodes/node1}); its answer. */
    String admin(String command) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            c.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * A server of the backend {@code flotilla_nodes} as {@code show stat} has it: its status ({@code UP},
     * {@code DOWN}, {@code MAINT}, {@code UP 1/2} while checks go on, ...) and its current sessions.
     */
    record ServerState(String status, int sessions) {
    }

    /** Server {@code server} (node1, node2, ...) of the backend, from {@code show stat} on the admin socket. */
    ServerState state(String server) throws IOException {
        List<String> lines = admin("show stat").lines().filter(l -> !l.isBlank()).toList();
        List<String> header = List.of(lines.getFirst().substring(2).split(","));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f[0].equals("flotilla_nodes") && f[1].equals(server)) {
                return new ServerState(f[header.indexOf("status")], Integer.parseInt(f[header.indexOf("scur")]));
            }
        }
        throw new AssertionError("no server " + server + " in: " + lines);
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
