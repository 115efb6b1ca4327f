package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.config.AgentConfig;
import dev.flotilla.agent.config.AgentConfigParser;
import dev.flotilla.agent.config.ConfigException;
import dev.flotilla.agent.install.DirectorAssignmentAdapter;
import dev.flotilla.agent.install.RangeDownload;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.runtime.Agent;
import dev.flotilla.agent.runtime.AgentPorts;
import dev.flotilla.core.tls.CaBundle;
import dev.flotilla.core.tls.TestCa;
import dev.flotilla.core.tuf.client.DownloadError;
import dev.flotilla.core.tuf.client.HttpFetcher;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent against the real server speaking HTTPS with a certificate from a private CA made in the test:
 * with {@code caBundle} it enrolls, checks in and fetches over HTTPS; without it every connection fails
 * with one line that says the certificate is not trusted and where to put the CA.
 */
class PrivateCaTest {
    @TempDir
    static Path caDir;
    static TestCa ca;
    @TempDir
    Path dir;
    RealServer server;
    Path dev;
    final List<String> log = new CopyOnWriteArrayList<>();
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeAll
    static void makeCa() throws Exception {
        ca = TestCa.create(caDir); // keytool runs take seconds: one CA for the class
    }

    @BeforeEach
    void start() throws Exception {
        server = new RealServer(dir.resolve("server"), ca);
        TestRepo repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
        repo.publish();
        dev = Files.createDirectories(dir.resolve("device"));
        Files.write(dev.resolve("root.json"), repo.rootBytes());
        SimulatedBoard.layOut(dev, new byte[0]); // a board with no firmware: enough to start the agent
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        server.close();
    }

    private Path config(String extra) throws Exception {
        return Files.writeString(dev.resolve("agent.conf"), """
                { "server": "%s", "stateDir": "state", "hardwareId": "board-a", "factoryVersion": "1.0.0",
                  "trustedRoot": "root.json", "enrollmentToken": "%s",
                  "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"},
                  "poll": {"minBackoffSeconds": 1, "maxBackoffSeconds": 1} %s }
                """.formatted(server.uri(), server.enrollmentToken(), extra));
    }

    private Agent agent(String extra) throws Exception {
        AgentConfig c = AgentConfigParser.parse(config(extra), Map.of());
        return new Agent(c, AgentPorts.forDevice(c), new DirectorAssignmentAdapter(Clock.systemUTC()), log::add);
    }

    @Test
    void withTheCaBundleTheAgentEnrollsAndChecksInOverHttps() throws Exception {
        assertThat(server.uri().getScheme()).isEqualTo("https");
        Agent agent = agent(", \"caBundle\": \"" + ca.caPem() + "\"");
        String id = agent.firstStart();
        agent.assemble();
        Future<Agent.Exit> run = pool.submit(agent::run);
        long deadline = System.nanoTime() + 20_000_000_000L;
        JsonNode manifest = server.get("/api/v1/devices/" + id).path("manifest");
        while (manifest.isNull() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            manifest = server.get("/api/v1/devices/" + id).path("manifest");
        }
        agent.stop();
        assertThat(run.get()).isEqualTo(Agent.Exit.STOPPED);
        assertThat(manifest.path("slot").asText()).isEqualTo("a");
        assertThat(log).noneMatch(l -> l.contains("not trusted"));
    }

    @Test
    void withoutTheCaBundleEnrollmentSaysInOneLineThatTheCertificateIsNotTrusted() throws Exception {
        Agent agent = agent("");
        Future<String> first = pool.submit(agent::firstStart);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (log.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        agent.stop();
        assertThatThrownBy(first::get).hasCauseInstanceOf(InterruptedException.class);
        assertThat(log.get(0)).isEqualTo("enrollment: cannot reach " + server.uri() + "/ (the server's TLS "
                + "certificate is not trusted: no path to a trusted CA; if a private CA signed its certificate, name "
                + "that CA's PEM file in caBundle); retrying in 1 s");
        assertThat(server.get("/api/v1/devices").path("items")).isEmpty();
    }

    @Test
    void metadataAndImageDownloadsTrustTheBundleToo() throws Exception {
        URI url = server.uri().resolve("/healthz");
        SSLContext tls = CaBundle.sslContext(ca.caPem());
        byte[] body;
        try (InputStream in = new HttpFetcher().trusting(tls).open(url)) {
            body = in.readAllBytes();
        }
        assertThat(new String(body)).contains("ok");
        try (InputStream in = new RangeDownload(url, 0, body.length, 0, Duration.ofMillis(1), Duration.ofSeconds(5))
                .trusting(tls)) {
            assertThat(in.readAllBytes()).isEqualTo(body);
        }
        assertThatThrownBy(() -> new HttpFetcher().open(url)).isInstanceOf(DownloadError.class)
                .hasMessage("IO: fetching " + url + ": the server's TLS certificate is not trusted: no path to a trusted CA");
    }

    @Test
    void aCaBundleWithoutACertificateIsAConfigurationErrorNamingTheField() throws Exception {
        Path empty = Files.writeString(dev.resolve("empty.pem"), "");
        Path conf = config(", \"caBundle\": \"empty.pem\"");
        assertThatThrownBy(() -> AgentConfigParser.parse(conf, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage(conf + ": caBundle: " + empty + ": no certificate in it (expected one or more PEM "
                        + "-----BEGIN CERTIFICATE----- blocks)");
    }
}
