package dev.flotilla.server.push;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.flotilla.core.mqtt.Mosquitto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fleet on one mosquitto: every device logs in over TLS with its own account, subscribes to its own topic,
 * and receives exactly its own wake-up from the server's publisher. 300 devices by default (well under a
 * minute on 2 cores); the 10,000-device run is
 * {@code ./mvnw -o -B -pl server -am test -Dtest=MosquittoFleetTest -Dflotilla.mqtt.devices=10000
 * -Dsurefire.failIfNoSpecifiedTests=false} (docs/server.md). The clients share the MQTT library's event loop:
 * the thread count must not grow with the fleet.
 */
class MosquittoFleetTest {
    @TempDir
    Path dir;

    @Test
    void everyDeviceOfTheFleetReceivesItsOwnWakeUp() throws Exception {
        Mosquitto.assumeInstalled();
        int devices = Integer.getInteger("flotilla.mqtt.devices", 300);
        Map<String, String> users = new LinkedHashMap<>();
        users.put(Mosquitto.SERVER_USER, "server-secret");
        for (int i = 0; i < devices; i++) {
            users.put(id(i), "pw-" + i);
        }
        var threads = ManagementFactory.getThreadMXBean();
        int threadsBefore = threads.getThreadCount();
        long heapBefore = usedHeap();
        List<Mqtt3AsyncClient> clients = new ArrayList<>();
        Map<String, String> received = new ConcurrentHashMap<>();
        AtomicInteger wrong = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(devices);
        try (Mosquitto mosquitto = Mosquitto.start(dir.resolve("broker"), users)) {
            long started = System.nanoTime();
            Semaphore connecting = new Semaphore(200); // at most this many TLS handshakes at once
            List<CompletableFuture<?>> subscribed = new ArrayList<>();
            for (int i = 0; i < devices; i++) {
                String id = id(i);
                Mqtt3AsyncClient c = mosquitto.broker(id, "pw-" + i).clientBuilder(id, 10).buildAsync();
                c.publishes(MqttGlobalPublishFilter.ALL, p -> {
                    if (p.getTopic().toString().equals(MqttWakeUps.topic(id)) && received.put(id, id) == null) {
                        all.countDown();
                    } else {
                        wrong.incrementAndGet();
                    }
                });
                clients.add(c);
                connecting.acquire();
                subscribed.add(c.connectWith().cleanSession(true).send()
                        .thenCompose(ack -> c.subscribeWith().topicFilter(MqttWakeUps.topic(id))
                                .qos(MqttQos.AT_LEAST_ONCE).send())
                        .whenComplete((ack, e) -> connecting.release()));
            }
            CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
            long connectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            long heapConnected = usedHeap();
            int threadsConnected = threads.getThreadCount();

            try (MqttWakeUps server = new MqttWakeUps(mosquitto.broker(Mosquitto.SERVER_USER, "server-secret"))) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!server.connected() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                long woke = System.nanoTime();
                for (int i = 0; i < devices; i++) {
                    server.accept(id(i));
                }
                assertThat(all.await(5, TimeUnit.MINUTES)).as("every device woken; missing: %d", all.getCount())
                        .isTrue();
                long wakeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - woke);
                Thread.sleep(300);
                assertThat(wrong.get()).as("no device receives a wake-up twice or for another device").isZero();
                assertThat(server.dropped()).isZero();
                System.out.printf("MQTT fleet: %d devices connected and subscribed over TLS in %d ms; all woken in "
                                + "%d ms; heap +%d MiB (%d KiB a device); threads %d -> %d%n", devices, connectedMs,
                        wakeMs, (heapConnected - heapBefore) >> 20, Math.max(0, heapConnected - heapBefore) / devices >> 10,
                        threadsBefore, threadsConnected);
            }
            assertThat(threadsConnected - threadsBefore).as("threads do not grow with the fleet").isLessThan(64);
        } finally {
            clients.forEach(Mqtt3AsyncClient::disconnect);
        }
    }

    private static String id(int i) {
        return "dev_fleet%05d".formatted(i);
    }

    private static long usedHeap() throws InterruptedException {
        System.gc();
        Thread.sleep(100);
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
