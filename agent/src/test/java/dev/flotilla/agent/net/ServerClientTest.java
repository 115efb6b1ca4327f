package dev.flotilla.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.boot.SimulatedBoard;
import dev.flotilla.agent.install.TestRepo;
import dev.flotilla.agent.storage.FileDurable;
import dev.flotilla.agent.update.Event;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.ReportQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's network side against the real server over loopback HTTP. */
class ServerClientTest {
    @TempDir
    Path dir;
    RealServer server;
    Path state;

    @BeforeEach
    void start() {
        server = new RealServer(dir.resolve("server"));
        state = dir.resolve("device");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ServerClient client() {
        return new ServerClient(server.uri(), DeviceHttp.direct(null));
    }

    @Test
    void firstStartMakesAPrivateKeyEnrollsOnceAndInstallsTheShippedRoot() throws Exception {
        TestRepo repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
        repo.publish();
        Path shipped = Files.write(dir.resolve("root.json"), repo.rootBytes());
        DeviceIdentity identity = new DeviceIdentity(state, new FileDurable());
        identity.installTrustedRoot(shipped, state.resolve("metadata"));
        String token = server.enrollmentToken();
        String id = identity.ensureEnrolled(client(), Optional.of(token), "board-a");

        assertThat(Files.getPosixFilePermissions(state.resolve("device.pem")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readAllBytes(state.resolve("metadata/root.json"))).isEqualTo(repo.rootBytes());
        JsonNode device = server.get("/api/v1/devices/" + id).path("device");
        assertThat(device.path("hardwareId").asText()).isEqualTo("board-a");
        assertThat(device.path("keyId").asText()).isEqualTo(identity.key().keyId());

        // a restart: same key, same id, no second enrollment (the used token is not even needed)
        DeviceIdentity again = new DeviceIdentity(state, new FileDurable());
        assertThat(again.ensureEnrolled(client(), Optional.empty(), "board-a")).isEqualTo(id);
        assertThat(again.key().keyId()).isEqualTo(identity.key().keyId());
        assertThat(server.get("/api/v1/devices").path("items")).hasSize(1);
    }

    @Test
    void aBadEnrollmentTokenIsARefusalWithTheServersCode() {
        DeviceIdentity identity = new DeviceIdentity(state, new FileDurable());
        assertThatThrownBy(() -> identity.ensureEnrolled(client(), Optional.of("fle_wrong"), "board-a"))
                .isInstanceOfSatisfying(ServerClient.ServerRefusal.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_enrollment_token"));
        assertThat(Files.exists(state.resolve("device.json"))).isFalse();
    }

    @Test
    void checkInSendsASignedManifestAndUsesTheETag() throws Exception {
        ServerClient c = enrolled();
        var manifest = manifest(c.deviceId(), "fw-1.0.0.img");
        ServerClient.CheckIn first = c.checkIn(manifest);
        assertThat(first.notModified()).isFalse();
        assertThat(first.assignment()).isNull();
        assertThat(first.pollInterval()).isPresent();
        ServerClient.CheckIn second = c.checkIn(manifest);
        assertThat(second.notModified()).isTrue();
        assertThat(second.pollInterval()).isEqualTo(first.pollInterval());
        ServerClient.CheckIn changed = c.checkIn(manifest(c.deviceId(), "fw-1.1.0.img"));
        assertThat(changed.notModified()).isFalse();
        JsonNode seen = server.get("/api/v1/devices/" + c.deviceId()).path("manifest");
        assertThat(seen.path("installedTarget").asText()).isEqualTo("fw-1.1.0.img");
    }

    /** An idle device signs its unchanged manifest once; a changed one is signed again and accepted. */
    @Test
    void anUnchangedManifestIsSignedOnce() throws Exception {
        ServerClient c = enrolled();
        dev.flotilla.core.tuf.Signer key = new DeviceIdentity(state, new FileDurable()).key();
        java.util.List<String> signed = new java.util.concurrent.CopyOnWriteArrayList<>();
        c.identity(c.deviceId(), new dev.flotilla.core.tuf.Signer() {
            @Override
            public dev.flotilla.core.tuf.Key publicKey() {
                return key.publicKey();
            }

            @Override
            public byte[] sign(byte[] data) {
                signed.add(new String(data, java.nio.charset.StandardCharsets.UTF_8));
                return key.sign(data);
            }
        });
        var manifest = manifest(c.deviceId(), "fw-1.0.0.img");
        String canonical = new String(dev.flotilla.core.json.CanonicalJson.encode(manifest),
                java.nio.charset.StandardCharsets.UTF_8);
        assertThat(c.checkIn(manifest).notModified()).isFalse();
        assertThat(c.checkIn(manifest).notModified()).isTrue();
        assertThat(c.checkIn(manifest).notModified()).isTrue();
        assertThat(signed).filteredOn(canonical::equals).hasSize(1);

        assertThat(c.checkIn(manifest(c.deviceId(), "fw-1.1.0.img")).notModified()).isFalse();
        assertThat(server.get("/api/v1/devices/" + c.deviceId()).path("manifest").path("installedTarget").asText())
                .isEqualTo("fw-1.1.0.img");
        assertThat(signed).filteredOn(s -> s.contains("installedTarget")).hasSize(2);
    }

    @Test
    void theReporterDrainsTheQueueAndKeepsWhatWasNotAcknowledged() throws Exception {
        ServerClient c = enrolled();
        ReportQueue queue = new ReportQueue(state.resolve("events"), new FileDurable());
        queue.enqueue(new Event("ev-1", 1, "DOWNLOADING", ReasonCode.ASSIGNMENT_RECEIVED, "into slot b", "as-1", "2.0.0", 0, 100));
        queue.enqueue(new Event("ev-2", 2, "VERIFYING", ReasonCode.DOWNLOADED, "100 bytes", "as-1", "2.0.0", 100, 100));
        queue.enqueue(new Event("ev-3", 3, "IDLE", ReasonCode.UPDATE_SUCCEEDED, "running 2.0.0", "as-1", "2.0.0", 100, 100));
        assertThat(queue.flush(new EventReporter(c)).acknowledged()).isEqualTo(3);
        assertThat(queue.pending()).isEmpty();
        JsonNode items = server.get("/api/v1/devices/" + c.deviceId() + "/events").path("items");
        assertThat(items.findValuesAsText("type")).containsExactly("download_started", "downloaded", "committed");
        assertThat(items.get(2).path("details").path("reason").asText()).isEqualTo("UPDATE_SUCCEEDED");

        // the same events again (a transition redone after a power cut) are duplicates, still acknowledged
        queue.enqueue(new Event("ev-3", 3, "IDLE", ReasonCode.UPDATE_SUCCEEDED, "running 2.0.0", "as-1", "2.0.0", 100, 100));
        assertThat(queue.flush(new EventReporter(c)).acknowledged()).isEqualTo(1);

        server.close();
        server = null;
        queue.enqueue(new Event("ev-4", 4, "DOWNLOADING", ReasonCode.ASSIGNMENT_RECEIVED, "", "as-2", "3.0.0", 0, 1));
        assertThat(queue.flush(new EventReporter(c))).isEqualTo(new ReportQueue.Flushed(0, 0, true));
        assertThat(queue.pending()).extracting(Event::eventId).containsExactly("ev-4");
        assertThatThrownBy(() -> c.checkIn(manifest(c.deviceId(), "x"))).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void eventsReachTheServerWithTheTimeTheDeviceRecordedThem() throws Exception {
        ServerClient c = enrolled();
        java.time.Instant recorded = java.time.Instant.parse("2020-01-02T03:04:05.678Z");
        Clock deviceClock = Clock.fixed(recorded, java.time.ZoneOffset.UTC);
        ReportQueue queue = new ReportQueue(state.resolve("events"), new FileDurable(),
                dev.flotilla.agent.update.AgentListener.NONE, ReportQueue.Retry.DEFAULT, System::nanoTime, deviceClock);
        queue.enqueue(new Event("ev-1", 1, "DOWNLOADING", ReasonCode.ASSIGNMENT_RECEIVED, "", "as-1", "2.0.0", 0, 100));
        assertThat(queue.pending()).extracting(Event::occurredAt).containsExactly(recorded.toString());
        EventReporter reporter = new EventReporter(c, Clock.offset(deviceClock, java.time.Duration.ofSeconds(7)));
        assertThat(queue.flush(reporter).acknowledged()).isEqualTo(1);
        reporter.sendNow("progress-as-1-50", "download_progress", new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode().put("percent", 50));

        JsonNode items = server.get("/api/v1/devices/" + c.deviceId() + "/events").path("items");
        assertThat(items.findValuesAsText("occurredAt"))
                .containsExactly("2020-01-02T03:04:05.678Z", "2020-01-02T03:04:12.678Z");
        assertThat(items.findValuesAsText("receivedAt")).allSatisfy(t -> assertThat(java.time.Instant.parse(t))
                .isAfter(recorded));
    }

    /** A whole agent from a config file, enrolled on the real server, its log lines in {@code log}. */
    private dev.flotilla.agent.runtime.Agent agent(java.util.List<String> log) throws Exception {
        TestRepo repo = new TestRepo(dir.resolve("repo"), Clock.systemUTC());
        repo.publish();
        Files.createDirectories(state);
        Files.write(state.resolve("root.json"), repo.rootBytes());
        SimulatedBoard.layOut(state, new byte[0]); // a board with no firmware: enough to start the agent
        Path conf = Files.writeString(state.resolve("agent.conf"), """
                { "server": "%s", "stateDir": ".", "hardwareId": "board-a", "factoryVersion": "1.0.0",
                  "trustedRoot": "root.json", "enrollmentToken": "%s",
                  "slots": {"a": "slot-a.img", "b": "slot-b.img"},
                  "bootControl": {"backend": "simulated", "stateFile": "bootenv", "cmdline": "cmdline"} }
                """.formatted(server.uri(), server.enrollmentToken()));
        var config = dev.flotilla.agent.config.AgentConfigParser.parse(conf, java.util.Map.of());
        return new dev.flotilla.agent.runtime.Agent(config, dev.flotilla.agent.runtime.AgentPorts.forDevice(config),
                new dev.flotilla.agent.install.DirectorAssignmentAdapter(Clock.systemUTC()), log::add);
    }

    @Test
    void aDecommissionedDeviceStopsWithOneClearLineInsteadOfRetryingItsLogin() throws Exception {
        java.util.List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        var agent = agent(log);
        String id = agent.firstStart();
        agent.assemble();
        server.post("/api/v1/devices/" + id + "/decommission", "{}");
        var exit = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor().submit(agent::run);
        try {
            assertThat(exit.get(20, java.util.concurrent.TimeUnit.SECONDS))
                    .isEqualTo(dev.flotilla.agent.runtime.Agent.Exit.DECOMMISSIONED);
        } finally {
            agent.stop();
        }
        assertThat(log).contains("the server says device " + id + " is decommissioned: stopping (it no longer "
                + "checks in; re-commission it on the server, then restart the agent)");
        assertThat(log).noneMatch(l -> l.startsWith("server unreachable"));
    }

    @Test
    void theWholeAgentChecksInWithItsSignedManifestOnTheRealServer() throws Exception {
        java.util.List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        var agent = agent(log);
        String id = agent.firstStart();
        agent.assemble();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                agent.run();
            } catch (Exception e) {
                log.add("crashed: " + e);
            }
        });
        long deadline = System.nanoTime() + 20_000_000_000L;
        JsonNode manifest = server.get("/api/v1/devices/" + id).path("manifest");
        while (manifest.isNull() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            manifest = server.get("/api/v1/devices/" + id).path("manifest");
        }
        agent.stop();
        t.join(10_000);
        assertThat(log).noneMatch(l -> l.startsWith("server unreachable") || l.startsWith("crashed"));
        assertThat(manifest.path("slot").asText()).isEqualTo("a");
        assertThat(manifest.path("installedVersion").asText()).isEqualTo("1.0.0");
        assertThat(manifest.path("agentVersion").asText()).isEqualTo(AgentVersion.VALUE);
        assertThat(manifest.path("bootState").asText()).isEqualTo("committed");
    }

    private ServerClient enrolled() throws Exception {
        ServerClient c = client();
        new DeviceIdentity(state, new FileDurable()).ensureEnrolled(c, Optional.of(server.enrollmentToken()), "board-a");
        return c;
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode manifest(String id, String target) {
        var m = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        m.put("deviceId", id).put("installedTarget", target).put("slot", "a").put("securityVersion", 0)
                .put("trustedRootVersion", 1).put("agentVersion", AgentVersion.VALUE).put("bootState", "committed")
                .put("healthState", "ok").put("installedVersion", "1.0.0").put("hardwareId", "board-a");
        m.putObject("hashes").put("sha256", "ab".repeat(32));
        return m;
    }

}
