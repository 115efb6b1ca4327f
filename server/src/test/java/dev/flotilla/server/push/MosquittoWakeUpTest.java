package dev.flotilla.server.push;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.mqtt.MqttBroker;
import dev.flotilla.core.mqtt.Mosquitto;
import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wake-ups through Debian's mosquitto as a real process: TLS with a private CA, password logins, and the ACL
 * of docs/device-integration.md (a device, logged in with its id, reads only its own topic).
 */
class MosquittoWakeUpTest {
    static final String SERVER_PASSWORD = "server-secret";
    @TempDir
    static Path shared;
    static Mosquitto mosquitto;
    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock();
    final List<Mqtt3AsyncClient> clients = new CopyOnWriteArrayList<>();
    ListAppender<ILoggingEvent> log;
    Logger logger;

    @BeforeAll
    static void startBroker() throws Exception {
        Mosquitto.assumeInstalled();
        mosquitto = Mosquitto.start(shared.resolve("broker"), Map.of(Mosquitto.SERVER_USER, SERVER_PASSWORD));
    }

    @AfterAll
    static void stopBroker() throws InterruptedException {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @BeforeEach
    void captureLog() {
        logger = (Logger) LoggerFactory.getLogger(MqttWakeUps.class);
        log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void stop() {
        clients.forEach(Mqtt3AsyncClient::disconnect);
        logger.detachAppender(log);
    }

    @Test
    void aDeviceReceivesItsOwnWakeUpsAndNeverAnotherDevicesOnes() throws Exception {
        try (TestServer srv = server(mosquitto.broker(Mosquitto.SERVER_USER, SERVER_PASSWORD))) {
            TestDevice a = srv.device(KeyType.ED25519, "board-a");
            TestDevice b = srv.device(KeyType.ED25519, "board-a");
            mosquitto.addUsers(Map.of(a.id(), "pw-a", b.id(), "pw-b"));
            BlockingQueue<String> aGot = new LinkedBlockingQueue<>();
            BlockingQueue<String> bGot = new LinkedBlockingQueue<>();
            // device a also tries the wildcard and b's own topic: the broker's ACL must not deliver them
            AtomicInteger aSubscribed = subscriber(a.id(), "pw-a", aGot, "flotilla/devices/+/wake",
                    MqttWakeUps.topic(b.id()));
            AtomicInteger bSubscribed = subscriber(b.id(), "pw-b", bGot);
            waitFor(() -> aSubscribed.get() == 1 && bSubscribed.get() == 1);
            awaitLog("MQTT: connected to", 1);

            assertThat(deploy(srv, b).status()).isEqualTo(201);
            assertThat(bGot.poll(10, TimeUnit.SECONDS)).isEqualTo(MqttWakeUps.topic(b.id()));
            assertThat(aGot.poll(1, TimeUnit.SECONDS)).as("a never receives b's wake-up").isNull();

            assertThat(deploy(srv, a).status()).isEqualTo(201);
            assertThat(aGot.poll(10, TimeUnit.SECONDS)).isEqualTo(MqttWakeUps.topic(a.id()));
            assertThat(aGot.poll(500, TimeUnit.MILLISECONDS)).as("one wake-up, on a's own topic").isNull();
            assertThat(bGot).isEmpty();
        }
    }

    @Test
    void aWrongPasswordIsOneLogLineAndNeverDelaysADeployment() throws Exception {
        try (TestServer srv = server(mosquitto.broker(Mosquitto.SERVER_USER, "wrong"))) {
            TestDevice d = srv.device(KeyType.ED25519, "board-a");
            awaitLog("refused the login of user 'flotilla-server'", 1);
            long started = System.nanoTime();
            assertThat(deploy(srv, d).status()).isEqualTo(201);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                    .as("not held for the client's 30 s keep-alive").isLessThan(10_000);
            Thread.sleep(3500); // the client retries after 1 s and 2 s meanwhile
            assertThat(lines("refused the login")).as("the same reason is logged once").hasSize(1);
            ILoggingEvent line = lines("refused the login").getFirst();
            assertThat(line.getLevel()).isEqualTo(Level.WARN);
            assertThat(line.getThrowableProxy()).as("no stack trace").isNull();
            assertThat(line.getFormattedMessage()).doesNotContain("wrong")
                    .contains("not authorized (check the user name and password)");
        }
    }

    @Test
    void anUntrustedBrokerCertificateIsOneLogLine() throws Exception {
        MqttBroker defaultCas = new MqttBroker(mosquitto.url(), Optional.of(Mosquitto.SERVER_USER),
                Optional.of(SERVER_PASSWORD), Optional.empty());
        try (TestServer srv = server(defaultCas)) {
            awaitLog("the broker's TLS certificate is not trusted: no path to a trusted CA", 1);
            assertThat(lines("not trusted").getFirst().getThrowableProxy()).isNull();
            assertThat(srv.http.get("/healthz", null).status()).isEqualTo(200);
        }
    }

    @Test
    void aBrokerRestartLosesNoDeviceAndAnOutageNeverStallsTheServer() throws Exception {
        try (TestServer srv = server(mosquitto.broker(Mosquitto.SERVER_USER, SERVER_PASSWORD))) {
            TestDevice d = srv.device(KeyType.ED25519, "board-a");
            TestDevice other = srv.device(KeyType.ED25519, "board-a");
            mosquitto.addUsers(Map.of(d.id(), "pw-d"));
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            AtomicInteger subscribed = subscriber(d.id(), "pw-d", got);
            waitFor(() -> subscribed.get() == 1);
            awaitLog("MQTT: connected to", 1);

            mosquitto.kill();
            long started = System.nanoTime();
            assertThat(deploy(srv, other).status()).isEqualTo(201);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                    .as("a deployment during the outage is not held for the client's 30 s keep-alive")
                    .isLessThan(10_000);

            mosquitto.start();
            waitFor(() -> subscribed.get() == 2); // the device's client reconnected and subscribed again
            awaitLog("MQTT: connected to", 2); // and so did the server's
            assertThat(deploy(srv, d).status()).isEqualTo(201);
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo(MqttWakeUps.topic(d.id()));
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // a wake-up that blocked the evaluator would hang it
    void aRolloutRunsThroughItsStagesByPollingWhileTheBrokerHangs() throws Exception {
        try (Fleet fleet = new Fleet(BothDatabases.h2(), dir,
                c -> c.withMqtt(mosquitto.broker(Mosquitto.SERVER_USER, SERVER_PASSWORD)))) {
            List<TestDevice> devices = fleet.devices(4, "board-a");
            awaitLog("MQTT: connected to", 1);
            mosquitto.pause();
            try {
                String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan",
                        Fleet.plan("{'stages': [{'count': 1}, {'percent': 100}], 'soakSeconds': 0}")))
                        .path("id").asText();
                List<TestDevice> first = fleet.assigned(devices, id);
                assertThat(first).as("the first stage, learnt by polling").hasSize(1);
                first.forEach(d -> fleet.commit(d, id));
                assertThat(fleet.tick(id, Duration.ofSeconds(5)).path("stage").asInt()).isEqualTo(1);
                List<TestDevice> rest = fleet.assigned(devices, id);
                assertThat(rest).as("the last stage, learnt by polling").hasSize(3);
                rest.forEach(d -> fleet.commit(d, id));
                com.fasterxml.jackson.databind.JsonNode last = fleet.tick(id, Duration.ofSeconds(5)).path("stages").get(1);
                assertThat(last.path("funnel").path("committed").asInt()).as("the last stage's three").isEqualTo(3);
            } finally {
                mosquitto.resume();
            }
        }
    }

    @Test
    void aHungBrokerHoldsAtMostTheBoundAndPublishingNeverBlocks() throws Exception {
        MqttWakeUps wakeUps = new MqttWakeUps(mosquitto.broker(Mosquitto.SERVER_USER, SERVER_PASSWORD), 5);
        try {
            waitFor(wakeUps::connected);
            wakeUps.accept("dev_first");
            waitFor(() -> wakeUps.published() == 1);
            mosquitto.pause();
            try {
                for (int i = 0; i < 100; i++) {
                    wakeUps.accept("dev_" + i); // returns while the broker is paused: publishing never blocks
                }
                assertThat(wakeUps.dropped()).as("5 wait for the broker, the rest are dropped").isEqualTo(95);
                assertThat(wakeUps.published()).as("nothing more was published while paused").isEqualTo(1);
            } finally {
                mosquitto.resume();
            }
            waitFor(() -> wakeUps.published() == 6); // the 5 that waited go out once it answers again
        } finally {
            wakeUps.close();
        }
        waitFor(wakeUps::stopped);
    }

    private TestServer server(MqttBroker broker) throws Exception {
        TestServer srv = TestServer.start(BothDatabases.h2(), dir.resolve("data"), clock, c -> c.withMqtt(broker));
        OfflineRepo repo = new OfflineRepo();
        repo.trust(srv.http, srv.adminToken, clock.instant());
        byte[] image = "fw".getBytes(StandardCharsets.UTF_8);
        assertThat(repo.publish(srv.http, srv.adminToken, "fw.bin", image,
                repo.addTarget("fw.bin", image, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey)).status())
                .isEqualTo(201);
        return srv;
    }

    private static Http.Response deploy(TestServer srv, TestDevice device) {
        return srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw.bin", "deviceId", device.id()));
    }

    /**
     * A device's client as the agent runs it: logged in with its id, subscribing after every connect; puts the
     * topic of every message it receives into {@code got}; returns the count of acknowledged subscriptions.
     */
    private AtomicInteger subscriber(String id, String password, BlockingQueue<String> got, String... alsoTry) {
        AtomicInteger subscribed = new AtomicInteger();
        Mqtt3AsyncClient[] self = new Mqtt3AsyncClient[1];
        self[0] = mosquitto.broker(id, password).clientBuilder(id, 2)
                .addConnectedListener(ctx -> {
                    for (String extra : alsoTry) {
                        self[0].subscribeWith().topicFilter(extra).qos(MqttQos.AT_LEAST_ONCE).send();
                    }
                    self[0].subscribeWith().topicFilter(MqttWakeUps.topic(id)).qos(MqttQos.AT_LEAST_ONCE).send()
                            .thenRun(subscribed::incrementAndGet);
                })
                .buildAsync();
        self[0].publishes(MqttGlobalPublishFilter.ALL, p -> got.add(p.getTopic().toString()));
        self[0].connectWith().cleanSession(true).send();
        clients.add(self[0]);
        return subscribed;
    }

    private List<ILoggingEvent> lines(String containing) {
        synchronized (log) { // the appender adds under this lock
            return log.list.stream().filter(e -> e.getFormattedMessage().contains(containing)).toList();
        }
    }

    private void awaitLog(String containing, int count) throws InterruptedException {
        waitFor(() -> lines(containing).size() >= count);
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
