package dev.flotilla.agent.wake;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import dev.flotilla.core.mqtt.MqttBroker;
import dev.flotilla.core.mqtt.MqttConnection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Optional MQTT wake-ups (HiveMQ MQTT client, MQTT 3.1.1): subscribes to {@code flotilla/devices/{id}/wake}
 * and calls {@code onWake} once for every message, which makes the agent check in at once. The client
 * reconnects by itself (1 s doubling up to 60 s, also when the broker is down at start) with a clean session
 * and subscribes again after each connect, so a restarted broker that kept nothing still reaches the device.
 * While the broker is unreachable, or refuses the login, the agent simply keeps polling; each new reason is
 * one log line. Messages carry no authority: a wake-up only moves the next check-in earlier.
 */
public final class MqttWake implements AutoCloseable {
    private final MqttConnection connection;

    /** The topic a device listens on. */
    public static String topic(String deviceId) {
        return "flotilla/devices/" + deviceId + "/wake";
    }

    private MqttWake(MqttConnection connection) {
        this.connection = connection;
    }

    /**
     * Connects in the background; returns at once.
     *
     * @param broker the broker, TLS settings and login ({@link dev.flotilla.agent.config.AgentConfig.MqttConfig})
     * @throws IllegalArgumentException when the broker's CA bundle cannot be read
     */
    public static MqttWake start(MqttBroker broker, String deviceId, Runnable onWake, Consumer<String> log) {
        String topic = topic(deviceId);
        AtomicBoolean listening = new AtomicBoolean();
        return new MqttWake(MqttConnection.open(broker, "flotilla-" + deviceId, 60,
                client -> {
                    // One callback for the client's life, not one per subscription: a subscription sent again
                    // after a reconnect (the client may also resend one that was in flight) must not make each
                    // message wake the agent twice.
                    if (listening.compareAndSet(false, true)) {
                        client.publishes(MqttGlobalPublishFilter.SUBSCRIBED, publish -> onWake.run());
                    }
                    client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send()
                            .whenComplete((ack, err) -> log.accept(err == null ? "mqtt: subscribed to " + topic
                                    : "mqtt: subscribe failed: " + broker.describe(err)));
                },
                why -> log.accept("mqtt: " + broker + ": " + why + "; retrying, polling continues")));
    }

    /** Whether it has stopped for good after {@link #close()}. */
    public boolean stopped() {
        return connection.stopped();
    }

    /** Disconnects and stops reconnecting. */
    @Override
    public void close() {
        connection.close();
    }
}
