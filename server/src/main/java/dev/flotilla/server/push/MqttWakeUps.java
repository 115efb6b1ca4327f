package dev.flotilla.server.push;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Push wake-up: publishes a small "check in now" message on {@code flotilla/devices/{id}/wake} (QoS 1,
 * not retained) when a device gets a new assignment. Best effort: the message carries no authority (the
 * device still checks in and verifies what it gets), so a broker that is down only delays devices until
 * their next poll. The client connects in the background and reconnects automatically.
 */
public final class MqttWakeUps implements Consumer<String>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MqttWakeUps.class);
    private final Mqtt3AsyncClient client;

    public MqttWakeUps(URI broker) {
        int port = broker.getPort() > 0 ? broker.getPort() : 1883;
        client = MqttClient.builder().useMqttVersion3().identifier("flotilla-server-" + UUID.randomUUID())
                .serverHost(broker.getHost()).serverPort(port).automaticReconnectWithDefaultConfig()
                .buildAsync();
        client.connectWith().cleanSession(true).send().whenComplete((ack, e) -> {
            if (e != null) {
                LOG.warn("MQTT broker {} not reachable yet: {} (will retry)", broker, e.toString());
            }
        });
    }

    /** The topic for a device. */
    public static String topic(String deviceId) {
        return "flotilla/devices/" + deviceId + "/wake";
    }

    @Override
    public void accept(String deviceId) {
        byte[] payload = ("{\"deviceId\":\"" + deviceId + "\",\"reason\":\"assignment\"}").getBytes(StandardCharsets.UTF_8);
        client.publishWith().topic(topic(deviceId)).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send()
                .whenComplete((r, e) -> {
                    if (e != null) {
                        LOG.warn("wake-up for device {} not published: {}", deviceId, e.toString());
                    }
                });
    }

    @Override
    public void close() {
        try {
            client.disconnect().get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("MQTT disconnect: {}", e.toString());
        }
    }
}
