package dev.flotilla.agent.wake;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Optional MQTT wake-ups (HiveMQ MQTT client, MQTT 3.1.1): subscribes to {@code flotilla/devices/{id}/wake}
 * and calls {@code onWake} for every message, which makes the agent check in at once. The client
 * reconnects by itself (also when the broker is down at start) and subscribes again after each connect;
 * while the broker is unreachable the agent simply keeps polling. Messages carry no authority: a wake-up
 * only moves the next check-in earlier.
 */
public final class MqttWake implements AutoCloseable {
    private final Mqtt3AsyncClient client;

    /** The topic a device listens on. */
    public static String topic(String deviceId) {
        return "flotilla/devices/" + deviceId + "/wake";
    }

    private MqttWake(Mqtt3AsyncClient client) {
        this.client = client;
    }

    /**
     * Connects in the background; returns at once.
     *
     * @param broker {@code tcp://host:port} (port 1883 when absent)
     */
    public static MqttWake start(URI broker, String deviceId, Runnable onWake, Consumer<String> log) {
        String topic = topic(deviceId);
        Mqtt3AsyncClient[] holder = new Mqtt3AsyncClient[1];
        Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3()
                .identifier("flotilla-" + deviceId)
                .serverHost(broker.getHost()).serverPort(broker.getPort() > 0 ? broker.getPort() : 1883)
                .automaticReconnect().initialDelay(1, TimeUnit.SECONDS).maxDelay(60, TimeUnit.SECONDS).applyAutomaticReconnect()
                .addConnectedListener(ctx -> holder[0].subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                        .callback(publish -> onWake.run()).send()
                        .whenComplete((ack, err) -> log.accept(err == null ? "mqtt: subscribed to " + topic
                                : "mqtt: subscribe failed: " + err.getMessage())))
                .addDisconnectedListener(ctx -> log.accept("mqtt: disconnected (" + ctx.getCause().getMessage()
                        + "); polling continues"))
                .buildAsync();
        holder[0] = client;
        client.connectWith().cleanSession(true).send();
        return new MqttWake(client);
    }

    @Override
    public void close() {
        client.disconnect();
    }
}
