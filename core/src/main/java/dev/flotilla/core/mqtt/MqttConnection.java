package dev.flotilla.core.mqtt;

import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A connection to the wake-up broker that keeps itself up, as the server and the agent both need it: it
 * connects in the background with a clean session, reconnects by itself (1 s doubling up to a maximum, also
 * when the first attempt fails), runs {@code onConnected} after every connect (to subscribe again), and
 * reports each new reason for a failed or lost connection once, in one line ({@link MqttBroker#describe}).
 * {@link #close()} stops it for good, also while it is waiting to retry (the client library's own
 * disconnect does not stop a pending reconnect).
 */
public final class MqttConnection implements AutoCloseable {
    private final Mqtt3AsyncClient client;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MqttConnection(Mqtt3AsyncClient client) {
        this.client = client;
    }

    /**
     * Starts connecting; returns at once.
     *
     * @param onConnected runs after every successful connect, with the client
     * @param onProblem   gets each new reason the connection failed or was lost (not repeated until a connect
     *                    succeeded or the reason changed)
     * @throws IllegalArgumentException when the broker's CA bundle cannot be read
     */
    public static MqttConnection open(MqttBroker broker, String identifier, long maxDelaySeconds,
                                      Consumer<Mqtt3AsyncClient> onConnected, Consumer<String> onProblem) {
        AtomicReference<MqttConnection> self = new AtomicReference<>();
        AtomicReference<String> problem = new AtomicReference<>();
        Mqtt3AsyncClient client = broker.clientBuilder(identifier, maxDelaySeconds)
                .addConnectedListener(ctx -> {
                    MqttConnection c = self.get();
                    if (c.closed.get()) {
                        c.client.disconnect();
                        return;
                    }
                    problem.set(null);
                    onConnected.accept(c.client);
                })
                .addDisconnectedListener(ctx -> {
                    if (self.get().closed.get()) {
                        ctx.getReconnector().reconnect(false);
                        return;
                    }
                    String why = broker.describe(ctx.getCause());
                    if (ctx.getSource() != MqttDisconnectSource.USER && !why.equals(problem.getAndSet(why))) {
                        onProblem.accept(why);
                    }
                })
                .buildAsync();
        MqttConnection c = new MqttConnection(client);
        self.set(c);
        client.connectWith().cleanSession(true).send(); // failures reach the disconnected listener
        return c;
    }

    /** The client, for publishing and subscribing. */
    public Mqtt3AsyncClient client() {
        return client;
    }

    /** Whether the client is connected now. */
    public boolean connected() {
        return client.getState().isConnected();
    }

    /** Whether it has stopped for good after {@link #close()} (no connection, no retry pending). */
    public boolean stopped() {
        return closed.get() && client.getState() == com.hivemq.client.mqtt.MqttClientState.DISCONNECTED;
    }

    /** Disconnects and stops retrying; a retry already scheduled ends at its attempt. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && client.getState().isConnected()) {
            client.disconnect();
        }
    }
}
