package dev.flotilla.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.install.UnsignedTestDirector;
import dev.flotilla.agent.wake.MqttWake;
import dev.flotilla.core.mqtt.Mosquitto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's wake-ups through Debian's mosquitto as a real process: TLS with the agent's {@code caBundle},
 * the device's login from {@code mqtt.passwordFile}, the ACL, a wrong password, and a broker restart.
 */
class MosquittoWakeTest {
    @TempDir
    static Path shared;
    static Mosquitto mosquitto;
    @TempDir
    Path dir;
    final List<String> log = new CopyOnWriteArrayList<>();
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeAll
    static void startBroker() throws Exception {
        Mosquitto.assumeInstalled();
        mosquitto = Mosquitto.start(shared.resolve("broker"), Map.of(Mosquitto.SERVER_USER, "server-secret",
                "dev-1", "pw-1", "dev-2", "pw-2"));
    }

    @AfterAll
    static void stopBroker() throws InterruptedException {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void theAgentChecksInWhenWokenAndAWrongPasswordNeverStallsItsCheckIns() throws Exception {
        try (FakeDeviceApi api = new FakeDeviceApi()) {
            api.pollSeconds = 3600;
            Files.writeString(dir.resolve("mqtt-password"), "pw-1\n");
            AgentConfig c = config(api, "mqtt-password");
            Agent agent = agent(c);
            try (MqttWake wake = MqttWake.start(c.mqtt().orElseThrow().broker(agent.deviceId(), c.caBundle()),
                    agent.deviceId(), agent.wakeup()::wake, log::add)) {
                Future<Agent.Exit> run = pool.submit(agent::run);
                waitFor(() -> api.checkIns.get() == 1 && log.contains("mqtt: subscribed to flotilla/devices/dev-1/wake"));
                publishAsServer("dev-2");
                Thread.sleep(500);
                assertThat(api.checkIns.get()).as("another device's wake-up does not reach this one").isEqualTo(1);
                publishAsServer("dev-1");
                waitFor(() -> api.checkIns.get() == 2);
                agent.stop();
                assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(Agent.Exit.STOPPED);
            }
        }
        try (FakeDeviceApi api = new FakeDeviceApi()) {
            api.pollSeconds = 1;
            Files.writeString(dir.resolve("wrong-password"), "not-it\n");
            log.clear();
            AgentConfig c = config(api, "wrong-password");
            Agent agent = agent(c);
            try (MqttWake wake = MqttWake.start(c.mqtt().orElseThrow().broker(agent.deviceId(), c.caBundle()),
                    agent.deviceId(), agent.wakeup()::wake, log::add)) {
                Future<Agent.Exit> run = pool.submit(agent::run);
                waitFor(() -> api.checkIns.get() >= 4); // polling goes on while the broker refuses the login
                agent.stop();
                assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(Agent.Exit.STOPPED);
            }
            assertThat(log.stream().filter(l -> l.startsWith("mqtt: ")).toList()).containsExactly("mqtt: "
                    + mosquitto.url() + " as dev-1 (CA bundle " + mosquitto.caPem() + "): the broker refused the login"
                    + " of user 'dev-1': not authorized (check the user name and password); retrying, polling continues");
        }
    }

    @Test
    void afterABrokerRestartTheDeviceSubscribesAgainAndIsWoken() throws Exception {
        Files.writeString(dir.resolve("pw"), "pw-2\n");
        Semaphore woken = new Semaphore(0);
        MqttWake stopped;
        try (MqttWake wake = MqttWake.start(mosquitto.broker("dev-2", "pw-2"), "dev-2", woken::release, log::add)) {
            stopped = wake;
            waitFor(() -> log.stream().filter(l -> l.equals("mqtt: subscribed to flotilla/devices/dev-2/wake")).count() == 1);
            mosquitto.kill();
            waitFor(() -> log.stream().anyMatch(l -> l.contains("the connection to the broker was lost")
                    || l.contains("cannot connect")));
            mosquitto.start();
            waitFor(() -> log.stream().filter(l -> l.equals("mqtt: subscribed to flotilla/devices/dev-2/wake")).count() == 2);
            publishAsServer("dev-2");
            assertThat(woken.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        }
        waitFor(stopped::stopped);
    }

    private AgentConfig config(FakeDeviceApi api, String passwordFile) throws Exception {
        TestRepo repo = new TestRepo(dir.resolve("repo-" + passwordFile), Clock.systemUTC());
        repo.publish();
        Path dev = Files.createDirectories(dir.resolve("device-" + passwordFile));
        Files.write(dev.resolve("root.json"), repo.rootBytes());
        SimulatedBoard.layOut(dev, new byte[0]); // a board with no firmware: enough to start the agent
        Path conf = Files.writeString(dev.resolve("agent.conf"), """
                { "server": "%s", "stateDir": "state", "hardwareId": "board-a", "trustedRoot": "root.json",
                  "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"},
                  "caBundle": "%s",
                  "mqtt": {"broker": "%s", "passwordFile": "%s"} }
                """.formatted(api.uri(), mosquitto.caPem(), mosquitto.url(), dir.resolve(passwordFile)));
        return AgentConfigParser.parse(conf, Map.of());
    }

    private Agent agent(AgentConfig c) throws Exception {
        Agent agent = new Agent(c, AgentPorts.forDevice(c), new UnsignedTestDirector(), log::add);
        agent.firstStart();
        agent.assemble();
        return agent;
    }

    /** What the server does: publishes a wake-up with its own account. */
    private static void publishAsServer(String deviceId) {
        Mqtt3BlockingClient c = mosquitto.broker(Mosquitto.SERVER_USER, "server-secret")
                .clientBuilder("server-" + System.nanoTime(), 1).buildBlocking();
        c.connect();
        c.publishWith().topic(MqttWake.topic(deviceId)).qos(MqttQos.AT_LEAST_ONCE)
                .payload("{}".getBytes(StandardCharsets.UTF_8)).send();
        c.disconnect();
    }

    private static void waitFor(BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(20);
        }
    }
}
