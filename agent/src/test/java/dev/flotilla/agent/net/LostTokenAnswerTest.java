package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.agent.storage.FileDurable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The answer to a login's token exchange lost on the way back, after the real server had used the challenge: the
 * client repeats the exchange (the connection closed before any byte of the answer), the server refuses it as
 * {@code invalid_challenge}, and the login starts over with a fresh challenge and succeeds.
 */
class LostTokenAnswerTest {
    @TempDir
    Path dir;
    private RealServer server;
    private ServerSocket proxy;
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger tokenRequests = new AtomicInteger();

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        server.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aLoginWhoseTokenAnswerWasLostStartsOverAndSucceeds(Transport transport) throws Exception {
        server = new RealServer(dir.resolve("server"));
        ServerClient direct = new ServerClient(server.uri(), DeviceHttp.direct(null));
        DeviceIdentity identity = new DeviceIdentity(dir.resolve("device"), new FileDurable());
        identity.ensureEnrolled(direct, Optional.of(server.enrollmentToken()), "board-a");

        proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
        ServerClient viaProxy = new ServerClient(URI.create("http://127.0.0.1:" + proxy.getLocalPort() + "/"),
                transport.http());
        viaProxy.identity(direct.deviceId(), identity.key());
        viaProxy.login();

        assertThat(dropped.get()).as("the first token answer was lost").isEqualTo(1);
        assertThat(tokenRequests.get()).as("the lost one, its repeat (refused), and a fresh login's").isEqualTo(3);
    }

    private void accept() {
        while (!proxy.isClosed()) {
            try {
                Socket c = proxy.accept();
                Thread.ofVirtual().start(() -> carry(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Carries one connection; the first answer to a token request is read from the server and not passed on. */
    private void carry(Socket client) {
        AtomicBoolean tokenAsked = new AtomicBoolean();
        try (client; Socket upstream = new Socket(server.uri().getHost(), server.uri().getPort())) {
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    InputStream in = client.getInputStream();
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (new String(buf, 0, n, StandardCharsets.ISO_8859_1).contains("/token HTTP/1.1")) {
                            tokenRequests.incrementAndGet();
                            tokenAsked.set(true);
                        }
                        upstream.getOutputStream().write(buf, 0, n);
                    }
                } catch (IOException e) {
                    // one side closed
                }
            });
            InputStream in = upstream.getInputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (tokenAsked.get() && dropped.compareAndSet(0, 1)) {
                    return; // the server answered; the answer never reaches the device
                }
                client.getOutputStream().write(buf, 0, n);
            }
            up.join();
        } catch (IOException | InterruptedException e) {
            // the test sees the outcome at the client
        }
    }
}
