package dev.flotilla.core.mqtt;

import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import dev.flotilla.core.testing.RequiredTools;
import dev.flotilla.core.tls.TestCa;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's mosquitto as a real process for a test, set up the way docs/device-integration.md tells an
 * operator to: TLS only (a test CA and a server certificate for 127.0.0.1), no anonymous clients, a password
 * file made with {@code mosquitto_passwd}, and the Flotilla ACL: the server's account ({@link #SERVER_USER})
 * may publish every device's wake-up topic, every other account reads only
 * {@code flotilla/devices/<its user name>/wake}. It listens on a free loopback port; {@link #kill()} and
 * {@link #start()} restart it on the same port. Tests call {@link #assumeInstalled()} first: without the
 * binary (a developer machine without the Debian package) they are skipped; CI installs it, and there a missing
 * broker fails the test ({@link RequiredTools}).
 */
public final class Mosquitto implements AutoCloseable {
    /** The server's broker account. */
    public static final String SERVER_USER = "flotilla-server";
    /** The ACL file from docs/device-integration.md. */
    public static final String ACL = """
            # the Flotilla server publishes every device's wake-ups
            user flotilla-server
            topic write flotilla/devices/+/wake

            # a device logs in with its device id as user name and reads only its own topic
            pattern read flotilla/devices/%u/wake
            """;
    private static final List<Path> BINARIES = List.of(Path.of("/usr/sbin/mosquitto"), Path.of("/usr/bin/mosquitto"));

    private final Path dir;
    private final Path conf;
    private final TestCa ca;
    private final int port;
    private final Map<String, String> users;
    private Process process;

    private Mosquitto(Path dir, Path conf, TestCa ca, int port, Map<String, String> users) {
        this.dir = dir;
        this.conf = conf;
        this.ca = ca;
        this.port = port;
        this.users = users;
    }

    /** The mosquitto binary, if installed. */
    public static Optional<Path> binary() {
        return BINARIES.stream().filter(Files::isExecutable).findFirst();
    }

    /** Skips the calling test, with a clear message, when mosquitto is not installed (fails it under CI). */
    public static void assumeInstalled() {
        RequiredTools.assumeInstalled(binary().isPresent() && Files.isExecutable(Path.of("/usr/bin/mosquitto_passwd")),
                "mosquitto is not installed (apt-get install mosquitto): skipping the real-broker test");
    }

    /**
     * Writes the configuration into {@code dir} and starts the broker.
     *
     * @param users account name to password; {@link #SERVER_USER} is the server's account
     */
    public static Mosquitto start(Path dir, Map<String, String> users) throws Exception {
        Files.createDirectories(dir);
        TestCa ca = TestCa.create(dir.resolve("ca"));
        Path passwords = dir.resolve("passwords");
        writePasswords(passwords, users);
        Path acl = Files.writeString(dir.resolve("acl"), ACL);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path conf = Files.writeString(dir.resolve("mosquitto.conf"), """
                # written by the test support class Mosquitto
                user %s
                persistence false
                per_listener_settings false
                allow_anonymous false
                password_file %s
                acl_file %s
                max_connections -1
                max_queued_messages 100
                log_dest stderr
                log_type error
                log_type warning
                listener %d 127.0.0.1
                cafile %s
                certfile %s
                keyfile %s
                """.formatted(System.getProperty("user.name"), passwords, acl, port, ca.caPem(), ca.serverCert(),
                ca.serverKey()));
        Mosquitto m = new Mosquitto(dir, conf, ca, port, new LinkedHashMap<>(users));
        m.start();
        return m;
    }

    /**
     * Adds accounts (devices enrolled after the broker started): rewrites the password file and makes the
     * running broker reload it (SIGHUP), as an operator would; returns once the first new account can log in.
     */
    public synchronized void addUsers(Map<String, String> more) throws Exception {
        users.putAll(more);
        writePasswords(dir.resolve("passwords"), users);
        run(List.of("kill", "-HUP", Long.toString(process.pid())));
        Map.Entry<String, String> probe = more.entrySet().iterator().next();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Mqtt3BlockingClient c = broker(probe.getKey(), probe.getValue()).clientBuilder("probe-" + System.nanoTime(), 1)
                    .automaticReconnect(null).buildBlocking();
            try {
                c.connect();
                c.disconnect();
                return;
            } catch (RuntimeException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("mosquitto did not accept the new accounts within 10 s: " + notYet);
                }
                Thread.sleep(50);
            }
        }
    }

    private static void writePasswords(Path file, Map<String, String> users) throws IOException, InterruptedException {
        StringBuilder plain = new StringBuilder();
        users.forEach((u, p) -> plain.append(u).append(':').append(p).append('\n'));
        Files.writeString(file, plain);
        run(List.of("/usr/bin/mosquitto_passwd", "-U", file.toString())); // hashes the whole file at once
    }

    /** Starts the broker (again) on its port; returns once it accepts connections. */
    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("mosquitto is running");
        }
        Path log = dir.resolve("mosquitto.log");
        process = new ProcessBuilder(binary().orElseThrow().toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("mosquitto exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("mosquitto did not listen on port " + port + " within 15 s: "
                            + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
    }

    /** Kills the broker at once (SIGKILL), as a crash would; every client loses its connection. */
    public synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Freezes the broker (SIGSTOP): connections stay open but nothing is answered, like a hung broker. */
    public synchronized void pause() throws IOException, InterruptedException {
        run(List.of("kill", "-STOP", Long.toString(process.pid())));
    }

    /** Lets a frozen broker go on (SIGCONT). */
    public synchronized void resume() throws IOException, InterruptedException {
        run(List.of("kill", "-CONT", Long.toString(process.pid())));
    }

    /** The TLS URL of the broker. */
    public URI url() {
        return URI.create("ssl://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** The test CA that signed the broker's certificate (the CA bundle clients trust). */
    public Path caPem() {
        return ca.caPem();
    }

    /** The broker for {@code user} with {@code password}, trusting the test CA. */
    public MqttBroker broker(String user, String password) {
        return new MqttBroker(url(), Optional.of(user), Optional.of(password), Optional.of(caPem()));
    }

    /** What the broker logged (errors and warnings). */
    public String log() throws IOException {
        Path log = dir.resolve("mosquitto.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
