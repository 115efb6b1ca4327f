package dev.flotilla.cli.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.cli.CliRun;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.crypto.Signatures;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyPairs;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.devices.DeviceAuth;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acknowledged means durable, with real processes: {@code flotilla server} runs as its own process; the test
 * makes acknowledged writes over HTTP (a release published, API tokens, enrollment tokens, a device enrolled
 * and logged in, its signed manifest, its events, a deployment; the last ones as one concurrent burst), kills
 * the server with SIGKILL right after the last answer, starts it again on the same data directory and
 * database, and finds every one. Several rounds, each checking all rounds before it. On PostgreSQL the database's processes are killed with SIGKILL
 * too (their shared memory, and so any commit not yet in the WAL file, is gone), which is what a crash of the
 * database node does to a commit that returned early ({@code synchronous_commit=off}, io.zonky's default).
 */
class DurabilityIT {
    private static final int ROUNDS = 3;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopServers() throws InterruptedException {
        for (Process p : started) { // a failed assertion leaves the last one running
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** What one round had acknowledged. */
    record Acked(String release, String sha256, byte[] image, List<String> apiTokenIds, String apiTokenSecret,
                 List<String> enrollmentTokenIds, String deviceId, String deviceToken, byte[] envelope,
                 List<String> eventIds, String deploymentId) {
    }

    /** One {@code flotilla server} process: its URL, admin token (first start only) and output lines. */
    record ServerProcess(Process process, URI url, List<String> lines) {
    }

    @Test
    void everyWriteAcknowledgedBeforeASigkillIsThereAfterARestartOnH2() throws Exception {
        Path data = tmp.resolve("data");
        rounds(data, () -> null, server -> {
            server.destroyForcibly(); // SIGKILL
            assertThat(server.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        });
    }

    @Test
    void everyWriteAcknowledgedBeforeASigkillOfServerAndDatabaseIsThereAfterARestartOnPostgres() throws Exception {
        Path pgData = tmp.resolve("pg");
        EmbeddedPostgres[] pg = {postgres(pgData).start()};
        int port = pg[0].getPort();
        try (Connection c = pg[0].getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE flotilla");
        }
        String url = pg[0].getJdbcUrl("postgres", "flotilla");
        try {
            rounds(tmp.resolve("data"), () -> url, server -> {
                killTogether(server, pgData);
                pg[0].close(); // pg_ctl stop finds nothing to stop (logged); releases the data directory's lock
                pg[0] = postgres(pgData).setPort(port).start();
            });
        } finally {
            pg[0].close();
        }
    }

    /**
     * A PostgreSQL cluster in {@code dir} that outlives its processes. io.zonky runs it with
     * {@code synchronous_commit=off}; {@code wal_writer_delay} is raised from 200 ms to 10 s so that a commit
     * that returned before its WAL was flushed stays in shared memory long enough for the kill to find it
     * there (in production the window is up to three times 200 ms).
     */
    private static EmbeddedPostgres.Builder postgres(Path dir) {
        return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false)
                .setServerConfig("wal_writer_delay", "10s");
    }

    interface DatabaseUrl {
        String get() throws Exception;
    }

    /** Kills the server process (and, on PostgreSQL, the database's) right after the last answer, and waits. */
    interface Kill {
        void kill(ProcessHandle server) throws Exception;
    }

    private void rounds(Path data, DatabaseUrl database, Kill kill) throws Exception {
        List<Acked> acked = new ArrayList<>();
        ServerProcess first = start(data, database.get());
        String admin = adminToken(first);
        Path keys = tmp.resolve("keys");
        cli("keys", "generate", "--type", "ed25519", "--out", keys, "--name", "root");
        cli("keys", "generate", "--type", "ed25519", "--out", keys, "--name", "targets");
        cli("trust", "init", "--accept-online-keys", "--server", first.url(), "--token", admin, "--root-key", keys.resolve("root.pub.json"),
                "--targets-key", keys.resolve("targets.pub.json"), "--sign-with", keys.resolve("root.pem"));
        ServerProcess srv = first;
        for (int round = 1; round <= ROUNDS; round++) {
            acked.add(acknowledgedWrites(srv, admin, keys, round));
            kill.kill(srv.process().toHandle());
            srv = start(data, database.get());
            for (Acked a : acked) {
                assertAllThere(srv.url(), admin, a);
            }
        }
    }

    /** One round of writes, each answered 2xx; the last answer comes right before the kill. */
    private Acked acknowledgedWrites(ServerProcess srv, String admin, Path keys, int round) throws Exception {
        URI url = srv.url();
        String release = "fw-" + round + ".img";
        byte[] image = ("firmware image of round " + round + "\n").repeat(2000).getBytes(StandardCharsets.UTF_8);
        Path imageFile = tmp.resolve(release);
        Files.write(imageFile, image);
        cli("release", "publish", "--server", url, "--token", admin, "--image", imageFile, "--version", "1." + round,
                "--hardware", "board", "--targets-key", keys.resolve("targets.pem"), "--no-progress");

        JsonNode token = json(url, "POST", "/api/v1/tokens", admin, "{\"name\":\"viewer " + round + "\",\"role\":\"viewer\"}", 201);
        JsonNode enrollment = json(url, "POST", "/api/v1/enrollment-tokens", admin, "{\"description\":\"line " + round + "\"}", 201);
        KeyPair deviceKeys = KeyPairs.generate(KeyType.ED25519);
        ObjectNode enroll = CanonicalJson.mapper().createObjectNode().put("enrollmentToken", enrollment.path("secret").asText())
                .put("hardwareId", "board");
        enroll.set("publicKey", Key.of(KeyType.ED25519, deviceKeys.getPublic()).toJson());
        enroll.putObject("attributes");
        String deviceId = json(url, "POST", "/api/v1/device/enroll", null, enroll.toString(), 201).path("id").asText();
        String nonce = json(url, "POST", "/api/v1/device/" + deviceId + "/challenge", null, "{}", 200).path("nonce").asText();
        String sig = Hex.encode(Signatures.sign(KeyType.ED25519, deviceKeys.getPrivate(), DeviceAuth.challengeBytes(deviceId, nonce)));
        String deviceToken = json(url, "POST", "/api/v1/device/" + deviceId + "/token", null,
                "{\"nonce\":\"" + nonce + "\",\"signature\":\"" + sig + "\"}", 200).path("token").asText();
        byte[] envelope = envelope(deviceId, deviceKeys, "fw-" + (round - 1) + ".img");
        send(url, "POST", "/api/v1/device/" + deviceId + "/checkin", deviceToken, envelope, 200);

        // The last writes go out together, as a busy server gets them: commits close to each other, the kill
        // right after the last answer (H2's default WRITE_DELAY would write them up to 500 ms later).
        List<String> eventIds = new ArrayList<>();
        List<Callable<JsonNode>> burst = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String id = "ev-" + round + "-" + i;
            eventIds.add(id);
            burst.add(() -> json(url, "POST", "/api/v1/device/" + deviceId + "/events", deviceToken,
                    "{\"events\":[{\"eventId\":\"" + id + "\",\"type\":\"download_started\"}]}", 200));
        }
        for (int i = 0; i < 4; i++) {
            String n = round + "-" + i;
            burst.add(() -> json(url, "POST", "/api/v1/tokens", admin, "{\"name\":\"burst " + n + "\",\"role\":\"viewer\"}", 201));
            burst.add(() -> json(url, "POST", "/api/v1/enrollment-tokens", admin, "{\"description\":\"burst " + n + "\"}", 201));
        }
        burst.add(() -> json(url, "POST", "/api/v1/deployments", admin,
                "{\"target\":\"" + release + "\",\"deviceId\":\"" + deviceId + "\"}", 201));
        List<JsonNode> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<JsonNode> f : pool.invokeAll(burst)) {
                answers.add(f.get());
            }
        }
        List<String> apiTokens = new ArrayList<>(List.of(token.path("token").path("id").asText()));
        List<String> enrollments = new ArrayList<>(List.of(enrollment.path("token").path("id").asText()));
        for (int i = 0; i < 4; i++) {
            apiTokens.add(answers.get(8 + 2 * i).path("token").path("id").asText());
            enrollments.add(answers.get(9 + 2 * i).path("token").path("id").asText());
        }
        String deploymentId = answers.get(answers.size() - 1).path("id").asText();
        return new Acked(release, Digests.sha256Hex(image), image, apiTokens, token.path("secret").asText(),
                enrollments, deviceId, deviceToken, envelope, eventIds, deploymentId);
    }

    private static void assertAllThere(URI url, String admin, Acked a) throws Exception {
        String what = "round of " + a.release();
        JsonNode releases = json(url, "GET", "/api/v1/releases?limit=100", admin, null, 200).path("items");
        assertThat(releases.findValuesAsText("targetPath")).as(what).contains(a.release());
        HttpResponse<byte[]> artifact = send(url, "GET", "/tuf/targets/" + a.sha256() + "." + a.release(), admin, null, 200);
        assertThat(artifact.body()).as(what).isEqualTo(a.image());
        JsonNode tokens = json(url, "GET", "/api/v1/tokens?limit=100", admin, null, 200).path("items");
        assertThat(tokens.findValuesAsText("id")).as(what).containsAll(a.apiTokenIds());
        send(url, "GET", "/api/v1/releases", a.apiTokenSecret(), null, 200); // the viewer token still works
        JsonNode enrollments = json(url, "GET", "/api/v1/enrollment-tokens?limit=100", admin, null, 200).path("items");
        assertThat(enrollments.findValuesAsText("id")).as(what).containsAll(a.enrollmentTokenIds());
        JsonNode device = json(url, "GET", "/api/v1/devices/" + a.deviceId(), admin, null, 200);
        assertThat(device.path("manifest")).as(what).isEqualTo(CanonicalJson.parse(a.envelope()).path("signed"));
        JsonNode events = json(url, "GET", "/api/v1/devices/" + a.deviceId() + "/events", admin, null, 200).path("items");
        assertThat(events.findValuesAsText("eventId")).as(what).containsAll(a.eventIds());
        JsonNode deployment = json(url, "GET", "/api/v1/deployments/" + a.deploymentId(), admin, null, 200);
        assertThat(deployment.path("targetPath").asText()).as(what).isEqualTo(a.release());
        // the device's token still works; its assignment is the deployment's
        JsonNode checkIn = CanonicalJson.parse(send(url, "POST", "/api/v1/device/" + a.deviceId() + "/checkin",
                a.deviceToken(), a.envelope(), 200).body());
        assertThat(checkIn.path("assignment").path("signed").path("deploymentId").asText()).as(what)
                .isEqualTo(a.deploymentId());
    }

    private static byte[] envelope(String deviceId, KeyPair keys, String installed) {
        ObjectNode m = CanonicalJson.mapper().createObjectNode().put("deviceId", deviceId).put("installedTarget", installed)
                .put("slot", "a").put("securityVersion", 0).put("trustedRootVersion", 1).put("agentVersion", "0.1.0")
                .put("bootState", "committed").put("healthState", "ok");
        ObjectNode env = CanonicalJson.mapper().createObjectNode();
        env.set("signed", m);
        env.putArray("signatures").addObject().put("keyid", Key.of(KeyType.ED25519, keys.getPublic()).keyId())
                .put("sig", Hex.encode(Signatures.sign(KeyType.ED25519, keys.getPrivate(), CanonicalJson.encode(m))));
        return CanonicalJson.encode(env);
    }

    private ServerProcess start(Path data, String databaseUrl) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.flotilla.cli.Main",
                "server", "--data", data.toString(), "--port", "0", "--host", "127.0.0.1"));
        if (databaseUrl != null) {
            cmd.addAll(List.of("--database", databaseUrl));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        String prefix = "Flotilla server listening on ";
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            for (String l : lines) {
                if (l.startsWith(prefix)) {
                    return new ServerProcess(p, URI.create(l.substring(prefix.length())), lines);
                }
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("the server did not start: " + lines);
    }

    private static String adminToken(ServerProcess srv) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            int at = srv.lines().indexOf("Initial admin API token (shown only this once; store it now):");
            if (at >= 0 && srv.lines().size() > at + 1) {
                return srv.lines().get(at + 1).trim();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no admin token in " + srv.lines());
    }

    /**
     * SIGKILL to the server, the postmaster and every process the postmaster started, all at once (as a crash
     * of their node would), then waits until all are gone.
     */
    private static void killTogether(ProcessHandle server, Path pgData) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).get(0).trim());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>(List.of(server, postmaster));
        all.addAll(postmaster.descendants().toList());
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            h.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    private static void cli(Object... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }

    private static JsonNode json(URI url, String method, String path, String token, String body, int expected)
            throws IOException, InterruptedException {
        return CanonicalJson.parse(send(url, method, path, token,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), expected).body());
    }

    private static HttpResponse<byte[]> send(URI url, String method, String path, String token, byte[] body, int expected)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url.resolve(path)).header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(method + " " + path + ": " + new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(expected);
        return r;
    }
}
