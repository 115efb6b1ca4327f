package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.storage.FileDurable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An enrollment the real server made while its answer never reached the device (a timeout on a loaded
 * server looks the same to the device): the device's retry with the same key ends enrolled as that device,
 * by proving its key, and runs; a device whose key is not enrolled still gets the token's refusal.
 */
class LostEnrollmentAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private RealServer server;
    private AnswerEater proxy;

    @BeforeEach
    void start() throws IOException {
        server = new RealServer(dir.resolve("server"));
        proxy = new AnswerEater(server.uri());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        server.close();
    }

    private ServerClient direct() {
        return new ServerClient(server.uri(), DeviceHttp.direct(null));
    }

    /** A single-use token is used up by the lost enrollment (the retry gets 401); a fleet-wide one is not (409). */
    @ParameterizedTest(name = "fleetWide={0}")
    @ValueSource(booleans = {false, true})
    void theRetryOfAnEnrollmentWhoseAnswerWasLostEndsEnrolledAsThatDevice(boolean fleetWide) throws Exception {
        String token = fleetWide ? server.post("/api/v1/enrollment-tokens",
                "{\"description\": \"line 1\", \"fleetWide\": true}").path("secret").asText()
                : server.enrollmentToken();
        Path state = dir.resolve("device");
        DeviceIdentity identity = new DeviceIdentity(state, new FileDurable());
        ServerClient lossy = new ServerClient(proxy.uri(), DeviceHttp.direct(null));
        assertThatThrownBy(() -> identity.ensureEnrolled(lossy, Optional.of(token), "board-a"))
                .isInstanceOf(IOException.class).isNotInstanceOf(ServerClient.ServerRefusal.class);
        assertThat(Files.exists(state.resolve("device.json"))).isFalse();
        JsonNode enrolled = server.get("/api/v1/devices").path("items");
        assertThat(enrolled).hasSize(1); // the server did enroll the key
        assertThat(enrolled.get(0).path("keyId").asText()).isEqualTo(identity.key().keyId());

        ServerClient client = direct();
        String id = identity.ensureEnrolled(client, Optional.of(token), "board-a");
        assertThat(identity.foundByProof()).isTrue();

        assertThat(id).isEqualTo(enrolled.get(0).path("id").asText());
        assertThat(JSON.readTree(state.resolve("device.json").toFile()).path("id").asText()).isEqualTo(id);
        assertThat(client.checkIn(manifest(id)).notModified()).isFalse();
        assertThat(server.get("/api/v1/devices/" + id).path("manifest").path("installedTarget").asText())
                .isEqualTo("fw-1.0.0.img");
        assertThat(server.get("/api/v1/devices").path("items")).hasSize(1);
        // a restart of the agent: the stored id, no enrollment at all
        assertThat(new DeviceIdentity(state, new FileDurable()).ensureEnrolled(direct(), Optional.empty(), "board-a"))
                .isEqualTo(id);
    }

    @Test
    void aDeviceWhoseKeyIsNotEnrolledStillGetsTheTokensRefusal() throws Exception {
        String token = server.enrollmentToken();
        new DeviceIdentity(dir.resolve("first"), new FileDurable()).ensureEnrolled(direct(), Optional.of(token), "a");
        DeviceIdentity second = new DeviceIdentity(dir.resolve("second"), new FileDurable());

        assertThatThrownBy(() -> second.ensureEnrolled(direct(), Optional.of(token), "b"))
                .isInstanceOfSatisfying(ServerClient.ServerRefusal.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_enrollment_token"));
        assertThat(Files.exists(dir.resolve("second/device.json"))).isFalse();
        assertThat(server.get("/api/v1/devices").path("items")).hasSize(1);
    }

    @Test
    void theServerAnswersOnlyTheHolderOfTheKey() throws Exception {
        ServerClient client = direct();
        DeviceIdentity identity = new DeviceIdentity(dir.resolve("device"), new FileDurable());
        String id = identity.ensureEnrolled(client, Optional.of(server.enrollmentToken()), "board-a");
        assertThat(identity.foundByProof()).isFalse();
        assertThat(direct().enrolledId(identity.key())).isEqualTo(id);

        DeviceIdentity other = new DeviceIdentity(dir.resolve("other"), new FileDurable());
        assertThatThrownBy(() -> direct().enrolledId(other.key()))
                .isInstanceOfSatisfying(ServerClient.ServerRefusal.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_proof"));
    }

    private static ObjectNode manifest(String id) {
        ObjectNode m = JSON.createObjectNode();
        m.put("deviceId", id).put("installedTarget", "fw-1.0.0.img").put("slot", "a").put("securityVersion", 0)
                .put("trustedRootVersion", 1).put("agentVersion", AgentVersion.VALUE).put("bootState", "committed")
                .put("healthState", "ok").put("installedVersion", "1.0.0").put("hardwareId", "board-a");
        m.putObject("hashes").put("sha256", "ab".repeat(32));
        return m;
    }

    /**
     * Carries each request to the server and waits for the server's answer to begin, then resets the
     * connection to the device instead of passing the answer on: the server did the work, the device never
     * hears of it.
     */
    private static final class AnswerEater implements AutoCloseable {
        private final ServerSocket socket;
        private final URI target;

        AnswerEater(URI target) throws IOException {
            this.target = target;
            this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket c = socket.accept();
                        Thread.ofVirtual().start(() -> eat(c));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
        }

        private void eat(Socket client) {
            try (client; Socket upstream = new Socket(target.getHost(), target.getPort())) {
                Thread.ofVirtual().start(() -> {
                    try {
                        client.getInputStream().transferTo(upstream.getOutputStream());
                    } catch (IOException e) {
                        // one side closed
                    }
                });
                InputStream answer = upstream.getInputStream();
                answer.read(); // the server has answered: the request's work is done
                client.setSoLinger(true, 0); // close with a reset
            } catch (IOException e) {
                // the test sees the outcome at the client
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
