package dev.flotilla.core.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker settings against Debian's mosquitto: TLS with a CA bundle, logins, the ACL, one-line failures. */
class MqttBrokerTest {
    @TempDir
    static Path dir;
    static Mosquitto mosquitto;

    @BeforeAll
    static void start() throws Exception {
        Mosquitto.assumeInstalled();
        mosquitto = Mosquitto.start(dir.resolve("broker"), Map.of(Mosquitto.SERVER_USER, "server-secret",
                "dev_a", "a-secret", "dev_b", "b-secret"));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @Test
    void aDeviceReadsItsOwnTopicOnlyAndOnlyTheServerPublishes() throws Exception {
        Mqtt3BlockingClient server = mosquitto.broker(Mosquitto.SERVER_USER, "server-secret")
                .clientBuilder("server", 5).buildBlocking();
        Mqtt3BlockingClient a = mosquitto.broker("dev_a", "a-secret").clientBuilder("dev_a", 5).buildBlocking();
        Mqtt3BlockingClient b = mosquitto.broker("dev_b", "b-secret").clientBuilder("dev_b", 5).buildBlocking();
        server.connect();
        a.connect();
        b.connect();
        try (var aGot = a.publishes(MqttGlobalPublishFilter.ALL); var bGot = b.publishes(MqttGlobalPublishFilter.ALL)) {
            a.subscribeWith().topicFilter("flotilla/devices/+/wake").qos(MqttQos.AT_LEAST_ONCE).send();
            a.subscribeWith().topicFilter("flotilla/devices/dev_b/wake").qos(MqttQos.AT_LEAST_ONCE).send();
            b.subscribeWith().topicFilter("flotilla/devices/dev_b/wake").qos(MqttQos.AT_LEAST_ONCE).send();
            // a device cannot wake another one: its publish is dropped by the broker's ACL
            a.publishWith().topic("flotilla/devices/dev_b/wake").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("forged".getBytes(StandardCharsets.UTF_8)).send();
            server.publishWith().topic("flotilla/devices/dev_b/wake").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("wake".getBytes(StandardCharsets.UTF_8)).send();
            Mqtt3Publish got = bGot.receive(10, TimeUnit.SECONDS).orElseThrow(() -> new AssertionError("b not woken"));
            assertThat(new String(got.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("wake");
            assertThat(bGot.receive(300, TimeUnit.MILLISECONDS)).as("the forged wake-up never arrives").isEmpty();
            assertThat(aGot.receive(500, TimeUnit.MILLISECONDS)).as("a never sees b's wake-up").isEmpty();
        } finally {
            a.disconnect();
            b.disconnect();
            server.disconnect();
        }
    }

    @Test
    void aWrongPasswordIsOneLineNamingTheUser() throws Exception {
        MqttBroker broker = mosquitto.broker("dev_a", "wrong");
        assertThat(firstFailure(broker)).isEqualTo("the broker refused the login of user 'dev_a': not authorized "
                + "(check the user name and password)");
    }

    @Test
    void anUntrustedBrokerCertificateIsOneLine() throws Exception {
        MqttBroker defaultCas = new MqttBroker(mosquitto.url(), Optional.of("dev_a"), Optional.of("a-secret"),
                Optional.empty());
        assertThat(firstFailure(defaultCas)).isEqualTo("the broker's TLS certificate is not trusted: no path to a "
                + "trusted CA (a private CA: name its PEM file as the CA bundle)");
    }

    /** The first connection failure, as reported by a connection that keeps retrying; then it is closed. */
    private static String firstFailure(MqttBroker broker) throws InterruptedException {
        BlockingQueue<String> failures = new LinkedBlockingQueue<>();
        MqttConnection c = MqttConnection.open(broker, "dev_a", 1, client -> { }, failures::add);
        try {
            String first = failures.poll(10, TimeUnit.SECONDS);
            assertThat(first).as("a connection failure within 10 s").isNotNull();
            assertThat(failures.poll(2500, TimeUnit.MILLISECONDS)).as("the same reason is reported once").isNull();
            return first;
        } finally {
            c.close();
            // closing while it waits to retry stops the retries (the library's own disconnect does not)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!c.stopped() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(c.stopped()).isTrue();
        }
    }

    @Test
    void badSettingsAreOneLine() throws Exception {
        assertThatThrownBy(() -> MqttBroker.anonymous(URI.create("http://broker:1883")))
                .hasMessage("MQTT URL must look like tcp://host:port or ssl://host:port, got http://broker:1883");
        assertThatThrownBy(() -> new MqttBroker(URI.create("tcp://broker"), Optional.empty(), Optional.of("x"),
                Optional.empty())).hasMessage("an MQTT password needs a user name");
        assertThatThrownBy(() -> new MqttBroker(URI.create("tcp://broker"), Optional.empty(), Optional.empty(),
                Optional.of(mosquitto.caPem()))).hasMessageStartingWith("an MQTT CA bundle needs a TLS broker URL");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        MqttBroker noCa = new MqttBroker(URI.create("ssl://broker"), Optional.empty(), Optional.empty(),
                Optional.of(empty));
        assertThatThrownBy(() -> noCa.clientBuilder("x", 5)).hasMessageContaining("no certificate in it");
        assertThat(noCa.port()).isEqualTo(8883);
        assertThat(MqttBroker.anonymous(URI.create("tcp://broker")).port()).isEqualTo(1883);
        assertThat(mosquitto.broker("dev_a", "a-secret").toString()).doesNotContain("a-secret");
    }
}
