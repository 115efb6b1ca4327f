package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.install.RepoHttpServer;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.wake.MqttWake;
import dev.flotilla.core.mqtt.MqttBroker;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT wake-ups with an in-process Moquette 0.17 broker. */
class MqttWakeTest {
    @TempDir
    Path dir;
    Server broker;
    final List<String> log = new CopyOnWriteArrayList<>();
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        pool.shutdownNow();
        if (broker != null) {
            broker.stopServer();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void startBroker(int port) throws IOException {
        Properties p = new Properties();
        p.setProperty("host", "127.0.0.1");
        p.setProperty("port", Integer.toString(port));
        p.setProperty("allow_anonymous", "true");
        p.setProperty("persistence_enabled", "false");
        p.setProperty("data_path", dir.resolve("broker").toString());
        p.setProperty("websocket_port", "disabled");
        broker = new Server();
        broker.startServer(new MemoryConfig(p));
    }

    private static void publish(int port, String topic) {
        Mqtt3BlockingClient c = MqttClient.builder().useMqttVersion3().identifier("server-" + System.nanoTime())
                .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        c.connect();
        c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload("{}".getBytes(StandardCharsets.UTF_8)).send();
        c.disconnect();
    }

    @Test
    void aMessageOnTheDevicesTopicWakesTheAgentForAnImmediateCheckIn() throws Exception {
        int port = freePort();
        startBroker(port);
        try (FakeDeviceApi api = new FakeDeviceApi()) {
            api.pollSeconds = 3600; // without a wake-up the next check-in would be an hour away
            TestRepo repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
            repo.publish();
            Path dev = Files.createDirectories(dir.resolve("device"));
            Files.write(dev.resolve("root.json"), repo.rootBytes());
            SimulatedBoard.layOut(dev, new byte[0]); // a board with no firmware: enough to start the agent
            Path conf = Files.writeString(dev.resolve("agent.conf"), """
                    { "server": "%s", "stateDir": "state", "hardwareId": "board-a", "trustedRoot": "root.json",
                      "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                      "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"},
                      "mqtt": {"broker": "tcp://127.0.0.1:%d"} }
                    """.formatted(api.uri(), port));
            AgentConfig c = AgentConfigParser.parse(conf, Map.of());
            Agent agent = new Agent(c, AgentPorts.forDevice(c), new UnsignedTestDirector(), log::add);
            agent.firstStart();
            agent.assemble();
            try (MqttWake wake = MqttWake.start(c.mqtt().orElseThrow().broker(agent.deviceId(), c.caBundle()), agent.deviceId(), agent.wakeup()::wake,
                    log::add)) {
                Future<Agent.Exit> run = pool.submit(agent::run);
                waitFor(() -> api.checkIns.get() == 1 && log.contains("mqtt: subscribed to flotilla/devices/dev-1/wake"));
                publish(port, MqttWake.topic("dev-1"));
                waitFor(() -> api.checkIns.get() == 2);
                publish(port, MqttWake.topic("other-device"));
                Thread.sleep(500);
                assertThat(api.checkIns.get()).isEqualTo(2);
                agent.stop();
                assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(Agent.Exit.STOPPED);
            }
        }
        assertThat(log).contains("woken up: checking in now");
    }

    @Test
    void aBrokerThatIsDownAtStartIsReachedLater() throws Exception {
        int port = freePort();
        CountDownLatch woken = new CountDownLatch(1);
        try (MqttWake wake = MqttWake.start(MqttBroker.anonymous(URI.create("tcp://127.0.0.1:" + port)), "dev-9", woken::countDown, log::add)) {
            Thread.sleep(1500); // a connect attempt fails meanwhile
            startBroker(port);
            waitFor(() -> log.contains("mqtt: subscribed to flotilla/devices/dev-9/wake"));
            publish(port, MqttWake.topic("dev-9"));
            assertThat(woken.await(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * A connection that drops while the device's subscription is in flight (the client sends it again after
     * reconnecting, beside the one each connect makes): still one wake-up per message.
     */
    @Test
    void aSubscriptionCutOffInFlightStillWakesOncePerMessage() throws Exception {
        int port = freePort();
        startBroker(port);
        java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();
        try (SubscribeCutter cutter = new SubscribeCutter(port);
             MqttWake wake = MqttWake.start(MqttBroker.anonymous(URI.create("tcp://127.0.0.1:" + cutter.port())),
                     "dev-7", wakes::incrementAndGet, log::add)) {
            waitFor(() -> cutter.cut.get() && log.contains("mqtt: subscribed to flotilla/devices/dev-7/wake"));
            Thread.sleep(500); // a second subscription, if any, is acknowledged meanwhile
            publish(port, MqttWake.topic("dev-7"));
            waitFor(() -> wakes.get() >= 1);
            Thread.sleep(500);
            publish(port, MqttWake.topic("dev-7"));
            waitFor(() -> wakes.get() >= 2);
            Thread.sleep(500);
            assertThat(wakes.get()).as("wake-ups for two messages").isEqualTo(2);
        }
    }

    /**
     * A TCP relay to the broker that closes the first connection on which the client sends a SUBSCRIBE
     * (before the broker sees it), and relays everything else.
     */
    private static final class SubscribeCutter implements AutoCloseable {
        final java.util.concurrent.atomic.AtomicBoolean cut = new java.util.concurrent.atomic.AtomicBoolean();
        private final ServerSocket listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final int brokerPort;

        SubscribeCutter(int brokerPort) throws IOException {
            this.brokerPort = brokerPort;
            Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    java.net.Socket client = listener.accept();
                    java.net.Socket broker = new java.net.Socket("127.0.0.1", brokerPort);
                    Thread.ofVirtual().start(() -> pump(broker, client));
                    Thread.ofVirtual().start(() -> clientToBroker(client, broker));
                } catch (IOException e) {
                    return;
                }
            }
        }

        /** Relays whole MQTT packets; on the first SUBSCRIBE (type 8) closes both sides instead. */
        private void clientToBroker(java.net.Socket client, java.net.Socket broker) {
            try (client; broker) {
                java.io.DataInputStream in = new java.io.DataInputStream(client.getInputStream());
                java.io.OutputStream out = broker.getOutputStream();
                while (true) {
                    int header = in.readUnsignedByte();
                    java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
                    packet.write(header);
                    int length = 0;
                    for (int shift = 0; ; shift += 7) {
                        int b = in.readUnsignedByte();
                        packet.write(b);
                        length |= (b & 0x7f) << shift;
                        if ((b & 0x80) == 0) {
                            break;
                        }
                    }
                    packet.write(in.readNBytes(length));
                    if (header >> 4 == 8 && cut.compareAndSet(false, true)) {
                        return;
                    }
                    out.write(packet.toByteArray());
                    out.flush();
                }
            } catch (IOException e) {
                // either side closed
            }
        }

        private static void pump(java.net.Socket from, java.net.Socket to) {
            try (from; to) {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException e) {
                // either side closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(20);
        }
    }
}
