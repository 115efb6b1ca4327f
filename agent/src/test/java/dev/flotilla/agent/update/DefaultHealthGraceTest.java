package dev.flotilla.agent.update;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.runtime.Agent;
import dev.flotilla.agent.storage.CrashableDurable;
import dev.flotilla.agent.testimage.TestImage;
import dev.flotilla.agent.testimage.TestImage.Behaviour;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default health timing (a configuration without a {@code health} section) against a server outage
 * right after the trial boot: the built-in check is a real HTTP request to a loopback port where nothing
 * listens until the outage is over (a real {@code ConnectException}). The uptime is fake and advanced by
 * the sleeper, so minutes of grace period pass without waiting.
 */
class DefaultHealthGraceTest {
    @TempDir
    Path dir;
    private final AtomicLong uptime = new AtomicLong();
    private final List<Long> ranAt = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpServer server;
    private int port;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private HealthChecks.Timing defaults() throws IOException {
        Path conf = Files.writeString(dir.resolve("agent.conf"), """
                { "server": "http://127.0.0.1:8080", "stateDir": "state", "hardwareId": "hw",
                  "trustedRoot": "root.json", "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "boot.env"} }
                """);
        AgentConfig c = AgentConfigParser.parse(conf, Map.of());
        return Agent.healthTiming(c.health());
    }

    /** A device whose built-in check reaches the loopback server, which is down until {@code backAtMillis}. */
    private SimDevice device(long backAtMillis) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SimDevice d = new SimDevice(dir.resolve("device"), TestImage.create(Behaviour.BOOT_OK, "1.0.0", 30_000),
                new FakeSource(TestImage.create(Behaviour.BOOT_OK, "2.0.0", 50_000), "2.0.0", 4, 1));
        d.extraChecks = List.of(this::serverReached);
        d.healthTiming = defaults();
        d.healthUptime = uptime::get;
        d.healthSleeper = ms -> {
            if (uptime.addAndGet(ms) >= backAtMillis && server == null) {
                startServer();
            }
        };
        return d;
    }

    private void startServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + port, e);
        }
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
    }

    private HealthCheck.Result serverReached() throws InterruptedException {
        ranAt.add(uptime.get());
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 204 ? new HealthCheck.Result.Healthy()
                    : new HealthCheck.Result.Unhealthy("server answered " + r.statusCode());
        } catch (IOException e) {
            return new HealthCheck.Result.Unhealthy("could not log in to the server: " + e);
        }
    }

    private static List<String> labels(SimDevice d) {
        return d.reporter.received.stream().map(e -> e.state() + "/" + e.reason()).toList();
    }

    @Test
    void theDefaultsAreFiveMinutesOfGraceWithRoundsEveryFifteenSeconds() throws Exception {
        assertThat(defaults()).isEqualTo(new HealthChecks.Timing(Duration.ZERO, Duration.ofMinutes(5),
                Duration.ofSeconds(15)));
    }

    @Test
    void withTheDefaultsAServerOutageOfAFewSecondsAfterTheTrialBootStillCommits() throws Exception {
        SimDevice d = device(8_000);
        d.live(new CrashableDurable(), 5, 10);
        assertThat(d.problems).isEmpty();
        assertThat(ranAt).containsExactly(0L, 15_000L); // refused (ConnectException), then back after 8 s
        assertThat(d.runningVersion()).isEqualTo("2.0.0");
        assertThat(labels(d)).endsWith("COMMITTED/HEALTH_CHECKS_PASSED", "IDLE/UPDATE_SUCCEEDED");
    }

    @Test
    void withTheDefaultsAServerThatStaysDownRollsBackAtTheEndOfTheGracePeriod() throws Exception {
        SimDevice d = device(Long.MAX_VALUE);
        d.live(new CrashableDurable(), 10, 10);
        assertThat(d.problems).isEmpty();
        assertThat(ranAt).hasSize(21).endsWith(300_000L); // every 15 s for 300 s, the last round at the end
        assertThat(d.runningVersion()).isEqualTo("1.0.0");
        assertThat(labels(d)).endsWith("ROLLING_BACK/HEALTH_CHECK_FAILED", "ROLLED_BACK/HEALTH_CHECK_FAILED",
                "IDLE/UPDATE_ROLLED_BACK");
        assertThat(d.reporter.received).filteredOn(e -> e.state().equals("ROLLING_BACK"))
                .allSatisfy(e -> assertThat(e.detail()).contains("ConnectException"));
    }
}
