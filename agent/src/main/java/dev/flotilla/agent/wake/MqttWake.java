package dev.flotilla.agent.wake;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.flotilla.core.mqtt.MqttBroker;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Optional MQTT wake-ups (HiveMQ MQTT client, MQTT 3.1.1): subscribes to {@code flotilla/devices/{id}/wake}
 * and calls {@code onWake} for every message, which makes the agent check in at once. The client
 * reconnects by itself (1 s doubling up to 60 s, also when the broker is down at start) with a clean session
 * and subscribes again after each connect, so a restarted broker that kept nothing still reaches the device.
 * While the broker is unreachable, or refuses the login, the agent simply keeps polling; each new reason is
 * one log line. Messages carry no authority: a wake-up only moves the next check-in earlier.
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
     * @param broker the broker, TLS settings and login ({@link dev.flotilla.agent.config.AgentConfig.MqttConfig})
     * @throws IllegalArgumentException when the broker's CA bundle cannot be read
     */
    public static MqttWake start(MqttBroker broker, String deviceId, Runnable onWake, Consumer<String> log) {
        String topic = topic(deviceId);
        Mqtt3AsyncClient[] holder = new Mqtt3AsyncClient[1];
        AtomicReference<String> problem = new AtomicReference<>();
        Mqtt3AsyncClient client = broker.clientBuilder("flotilla-" + deviceId, 60)
                .addConnectedListener(ctx -> holder[0].subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                        .callback(publish -> onWake.run()).send()
                        .whenComplete((ack, err) -> {
                            problem.set(null);
                            log.accept(err == null ? "mqtt: subscribed to " + topic
                                    : "mqtt: subscribe failed: " + broker.describe(err));
                        }))
                .addDisconnectedListener(ctx -> {
                    String why = broker.describe(ctx.getCause());
                    if (ctx.getSource() != MqttDisconnectSource.USER && !why.equals(problem.getAndSet(why))) {
                        log.accept("mqtt: " + broker + ": " + why + "; retrying, polling continues");
                    }
                })
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
