package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Answers of the device API that a broken or compromised server may give, on real loopback HTTP, through both
 * {@link Transport}s: headers that never end, a body that never ends and one far too long each fail the request
 * with one clear message instead of holding the agent forever or filling its heap.
 */
class HostileAnswersTest {
    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile String mode;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Content-Type", "application/json");
            if (mode.equals("stalled")) {
                // headers and the start of a body, then nothing, with the connection kept open
                ex.sendResponseHeaders(201, 0);
                ex.getResponseBody().write("{\"id\": ".getBytes(StandardCharsets.UTF_8));
                ex.getResponseBody().flush();
                release.await();
            } else {
                byte[] huge = new byte[ServerClient.MAX_ANSWER_BYTES + 1];
                java.util.Arrays.fill(huge, (byte) ' ');
                ex.sendResponseHeaders(201, huge.length);
                ex.getResponseBody().write(huge);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientStopped) {
            // the client dropped the answer, as it should
        }
    }

    private IOException enrollFails(Transport transport, Duration timeout) {
        ServerClient client = new ServerClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                transport.http(), timeout);
        ObjectNode key = JsonNodeFactory.instance.objectNode().put("keytype", "ed25519");
        return catchThrowableOfType(IOException.class, () -> client.enroll("fle_x", key, "board-a",
                JsonNodeFactory.instance.objectNode()));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anAnswerWhoseBodyNeverEndsFailsOnceTheTimeoutPassedAgainAfterTheHeaders(Transport transport) {
        mode = "stalled";

        IOException e = enrollFails(transport, Duration.ofSeconds(1));

        assertThat(e).as("the request ends").isNotNull();
        assertThat(e).hasMessage("the server's answer to POST api/v1/device/enroll did not end within 1 s: dropped");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anAnswerLongerThanTheCapIsDroppedWithOneLine(Transport transport) {
        mode = "huge";

        IOException e = enrollFails(transport, Duration.ofSeconds(30));

        assertThat(e).hasMessage("the server's answer to POST api/v1/device/enroll is longer than "
                + ServerClient.MAX_ANSWER_BYTES + " bytes: dropped");
    }

    /**
     * A server that sends its headers a byte at a time, each well within the read timeout, never finishing them:
     * the request still ends once the timeout has passed.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void headersThatTrickleInWithoutEndFailOnceTheTimeoutPassed(Transport transport) throws Exception {
        try (ServerSocket trickle = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = trickle.accept()) {
                    s.getOutputStream().write("HTTP/1.1 201 Created\r\nX-Slow: ".getBytes(StandardCharsets.UTF_8));
                    while (!Thread.currentThread().isInterrupted()) {
                        s.getOutputStream().write('a');
                        s.getOutputStream().flush();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException clientGone) {
                    // the client closed the connection, as it should
                }
            });
            ServerClient client = new ServerClient(URI.create("http://127.0.0.1:" + trickle.getLocalPort()),
                    transport.http(), Duration.ofSeconds(1));
            ObjectNode key = JsonNodeFactory.instance.objectNode().put("keytype", "ed25519");

            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catchThrowableOfType(
                    IOException.class, () -> client.enroll("fle_x", key, "board-a",
                            JsonNodeFactory.instance.objectNode())));

            assertThat(e).as("the request ends").isNotNull();
            assertThat(e.getMessage()).startsWith("cannot reach http://127.0.0.1:" + trickle.getLocalPort());
        }
    }
}
