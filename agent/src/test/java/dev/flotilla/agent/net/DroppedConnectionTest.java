package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.agent.storage.FileDurable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that closes a connection as a request arrives on it, before any byte of an answer (what a kept-alive
 * connection closed by the server's idle timeout looks like to the client that just sent on it): the device's
 * request is sent once more on a fresh connection, and only once.
 */
class DroppedConnectionTest {
    @TempDir
    Path dir;
    private RealServer server;
    private Proxy proxy;

    @BeforeEach
    void start() {
        server = new RealServer(dir.resolve("server"));
    }

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        server.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aConnectionClosedBeforeAnyAnswerIsTriedOnceMoreAndTheLoginSucceeds(Transport transport) throws Exception {
        ServerClient direct = new ServerClient(server.uri(), DeviceHttp.direct(null));
        DeviceIdentity identity = new DeviceIdentity(dir.resolve("device"), new FileDurable());
        identity.ensureEnrolled(direct, Optional.of(server.enrollmentToken()), "board-a");

        proxy = new Proxy(server.uri(), 1);
        ServerClient viaProxy = new ServerClient(proxy.uri(), transport.http());
        viaProxy.identity(direct.deviceId(), identity.key());
        viaProxy.login();

        assertThat(proxy.dropped.get()).isEqualTo(1);
        assertThat(proxy.connections.get()).isGreaterThanOrEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aServerThatKeepsDroppingIsReportedAfterOneRepeat(Transport transport) throws Exception {
        proxy = new Proxy(server.uri(), Integer.MAX_VALUE);
        ServerClient viaProxy = new ServerClient(proxy.uri(), transport.http());

        assertThatThrownBy(() -> viaProxy.enroll("fle_x", new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode(), "board-a", new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot reach");
        assertThat(proxy.dropped.get()).isEqualTo(2);
    }

    /** Drops the first {@code drops} connections once a request arrives; pipes the others to the server. */
    private static final class Proxy implements AutoCloseable {
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();
        private final ServerSocket socket;
        private final URI target;

        Proxy(URI target, int drops) throws IOException {
            this.target = target;
            this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket c = socket.accept();
                        int n = connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(c, n <= drops));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
        }

        private void serve(Socket client, boolean drop) {
            try (client) {
                if (drop) {
                    client.getInputStream().read(new byte[8192]); // the request arrived; no answer
                    dropped.incrementAndGet();
                    return;
                }
                try (Socket upstream = new Socket(target.getHost(), target.getPort())) {
                    Thread up = Thread.ofVirtual().start(() -> pipe(client, upstream));
                    pipe(upstream, client);
                    up.join();
                }
            } catch (IOException | InterruptedException e) {
                // the test sees the outcome at the client
            }
        }

        private static void pipe(Socket from, Socket to) {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                in.transferTo(out);
                to.shutdownOutput();
            } catch (IOException e) {
                // one side closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
