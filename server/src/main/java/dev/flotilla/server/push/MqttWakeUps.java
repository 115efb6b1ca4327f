package dev.flotilla.server.push;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.flotilla.core.mqtt.MqttBroker;
import dev.flotilla.core.mqtt.MqttConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Push wake-up: publishes a small "check in now" message on {@code flotilla/devices/{id}/wake} (QoS 1,
 * not retained) when a device gets a new assignment. Best effort and fire-and-forget: the message carries no
 * authority (the device still checks in and verifies what it gets), so a wake-up that is not sent only
 * delays a device until its next poll. {@link #accept} never blocks: while the broker is unreachable
 * wake-ups are dropped (and counted), and at most {@link #MAX_IN_FLIGHT} unacknowledged ones are kept.
 * The client connects in the background and reconnects by itself (1 s doubling up to 30 s), with a clean
 * session: it keeps no subscriptions, so nothing is lost by starting afresh. A connection failure (a refused
 * login, an untrusted certificate, a broker that is down) is one WARN line, repeated only when the reason changes.
 */
public final class MqttWakeUps implements Consumer<String>, AutoCloseable {
    /** The most wake-ups that wait for the broker's acknowledgement; more are dropped. */
    public static final int MAX_IN_FLIGHT = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(MqttWakeUps.class);
    private final MqttBroker broker;
    private final MqttConnection connection;
    private final Mqtt3AsyncClient client;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** Connects to {@code broker} in the background; returns at once. */
    public MqttWakeUps(MqttBroker broker) {
        this(broker, MAX_IN_FLIGHT);
    }

    MqttWakeUps(MqttBroker broker, int maxInFlight) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.maxInFlight = maxInFlight;
        connection = MqttConnection.open(broker, "flotilla-server-" + UUID.randomUUID(), 30,
                client -> LOG.info("MQTT: connected to {}", broker),
                why -> LOG.warn("MQTT broker {}: {}; retrying; until then no wake-ups go out (devices still poll)",
                        broker, why));
        client = connection.client();
    }

    /** The topic for a device. */
    public static String topic(String deviceId) {
        return "flotilla/devices/" + deviceId + "/wake";
    }

    /** Publishes a wake-up for {@code deviceId}, or drops it when the broker is unreachable or too far behind. */
    @Override
    public void accept(String deviceId) {
        if (!client.getState().isConnected()) {
            drop(deviceId, "the broker is unreachable");
            return;
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            drop(deviceId, maxInFlight + " wake-ups wait for the broker already");
            return;
        }
        byte[] payload = ("{\"deviceId\":\"" + deviceId + "\",\"reason\":\"assignment\"}").getBytes(StandardCharsets.UTF_8);
        client.publishWith().topic(topic(deviceId)).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send()
                .whenComplete((r, e) -> {
                    inFlight.decrementAndGet();
                    if (e == null) {
                        published.incrementAndGet();
                    } else {
                        dropped.incrementAndGet();
                        LOG.debug("wake-up for device {} not published: {}", deviceId, broker.describe(e));
                    }
                });
    }

    private void drop(String deviceId, String why) {
        dropped.incrementAndGet();
        LOG.debug("wake-up for device {} dropped: {}", deviceId, why);
    }

    /** Whether the client is connected to the broker now. */
    public boolean connected() {
        return connection.connected();
    }

    /** Wake-ups the broker acknowledged. */
    public long published() {
        return published.get();
    }

    /** Wake-ups not sent (broker unreachable, too many waiting, or failed). */
    public long dropped() {
        return dropped.get();
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
