package dev.flotilla.server.push;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** With an MQTT broker configured, a new assignment publishes a wake-up on the device's topic (Moquette in-process). */
class MqttWakeUpTest {
    @TempDir
    Path dir;

    @Test
    void newAssignmentWakesTheDevice() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Properties props = new Properties();
        props.setProperty("host", "127.0.0.1");
        props.setProperty("port", Integer.toString(port));
        props.setProperty("websocket_port", "disabled");
        props.setProperty("allow_anonymous", "true");
        props.setProperty("persistence_enabled", "false");
        props.setProperty("data_path", dir.resolve("mqtt").toString());
        Server broker = new Server();
        broker.startServer(new MemoryConfig(props));
        MutableClock clock = new MutableClock();
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir.resolve("data"), clock,
                c -> c.withMqttUrl(URI.create("tcp://127.0.0.1:" + port)))) {
            OfflineRepo repo = new OfflineRepo();
            repo.trust(srv.http, srv.adminToken, clock.instant());
            byte[] image = "fw".getBytes(StandardCharsets.UTF_8);
            assertThat(repo.publish(srv.http, srv.adminToken, "fw.bin", image,
                    repo.addTarget("fw.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey)).status())
                    .isEqualTo(201);
            TestDevice device = srv.device(KeyType.ED25519, "board-a");
            TestDevice bystander = srv.device(KeyType.ED25519, "board-a");

            Mqtt3BlockingClient sub = MqttClient.builder().useMqttVersion3().identifier("device-" + device.id())
                    .serverHost("127.0.0.1").serverPort(port).buildBlocking();
            sub.connect();
            try (Mqtt3BlockingClient.Mqtt3Publishes publishes = sub.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
                sub.subscribeWith().topicFilter("flotilla/devices/+/wake").qos(MqttQos.AT_LEAST_ONCE).send();
                srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw.bin", "deviceId", device.id()));
                Mqtt3Publish msg = publishes.receive(10, TimeUnit.SECONDS).orElseThrow(
                        () -> new AssertionError("no wake-up within 10 s"));
                assertThat(msg.getTopic().toString()).isEqualTo("flotilla/devices/" + device.id() + "/wake");
                assertThat(new String(msg.getPayloadAsBytes(), StandardCharsets.UTF_8)).contains(device.id());
                assertThat(publishes.receive(500, TimeUnit.MILLISECONDS)).as("only the assigned device is woken").isEmpty();
            } finally {
                sub.disconnect();
            }
        } finally {
            broker.stopServer();
        }
    }
}
