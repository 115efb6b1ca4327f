package dev.flotilla.cli;

import dev.flotilla.agent.net.DeviceHttp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.flotilla.cli.CliFixture.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lifecycle commands against a real in-process server: {@code devices recommission|delete}, newest-first
 * listings of events and the audit log, and {@code release delete} (the targets signed offline without it).
 */
class LifecycleCommandsTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:life" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CliRun as(String token, Object... args) {
        List<Object> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.uri(), "--token", token));
        return CliRun.of(all.toArray());
    }

    private CliRun ok(Object... args) {
        CliRun run = as(admin, args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    private JsonNode okJson(Object... args) {
        List<Object> all = new ArrayList<>(List.of(args));
        all.add("--json");
        return CanonicalJson.parse(ok(all.toArray()).out().strip().getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> texts(JsonNode items, String field) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(i.path(field).asText()));
        return out;
    }

    private ServerClient enroll(String name) throws Exception {
        JsonNode et = okJson("enrollment-tokens", "create", "--description", "test fleet");
        fx.generate("ed25519", name);
        KeySigner key = KeyFiles.loadSigner(fx.key(name));
        ServerClient device = new ServerClient(server.uri(), DeviceHttp.direct(null));
        String id = device.enroll(et.path("secret").asText(), key.publicKey().toJson(), "board-a",
                CanonicalJson.mapper().createObjectNode());
        device.identity(id, key);
        return device;
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode manifest(String deviceId, String installed) {
        return CanonicalJson.mapper().createObjectNode().put("deviceId", deviceId).put("agentVersion", "0.1.0")
                .put("bootState", "normal").put("healthState", "healthy").put("slot", "a")
                .put("installedTarget", installed).put("securityVersion", 0).put("trustedRootVersion", 1);
    }

    @Test
    void devicesRecommissionDeleteAndNewestFirstListings() throws Exception {
        ServerClient device = enroll("dev1");
        String id = device.deviceId();
        ArrayNode events = CanonicalJson.mapper().createArrayNode();
        for (int i = 1; i <= 3; i++) {
            events.addObject().put("eventId", "e-" + i).put("type", "installed")
                    .put("occurredAt", "2026-12-0" + i + "T10:00:00Z");
        }
        assertThat(device.postEvents(events)).isTrue();
        assertThat(texts(okJson("devices", "events", id, "--newest-first").path("items"), "eventId"))
                .containsExactly("e-3", "e-2", "e-1");
        assertThat(texts(okJson("devices", "events", id, "--newest-first", "--limit", 2, "--offset", 2).path("items"),
                "eventId")).containsExactly("e-1");
        assertThat(ok("devices", "events", id).out()).startsWith("OCCURRED").contains("RECEIVED", "2026-12-01T10:00:00Z");

        ok("devices", "decommission", id);
        assertThat(ok("devices", "recommission", id).out()).contains("device " + id + " active");
        assertOneLineError(as(admin, "devices", "recommission", id), "flotilla: error: device_active: ");
        device.checkIn(manifest(id, "fw.bin")); // it logs in again

        String operator = okJson("tokens", "create", "--name", "op", "--role", "operator").path("secret").asText();
        assertOneLineError(as(operator, "devices", "delete", id), "flotilla: error: forbidden: ");
        assertThat(ok("devices", "delete", id).out()).contains("device " + id + " deleted");
        assertOneLineError(as(admin, "devices", "show", id), "flotilla: error: not_found: ");
        assertOneLineError(as(admin, "devices", "delete", id), "flotilla: error: not_found: ");

        List<String> newest = texts(okJson("audit", "list", "--newest-first", "--limit", 3).path("items"), "action");
        assertThat(newest).containsExactly("device.delete", "token.create", "device.recommission");
        assertThat(ok("audit", "list", "--newest-first", "--limit", 1).out()).contains("device.delete", "(more: --offset 1)");
    }

    @Test
    void releaseDeleteSignsTheTargetsWithoutItAndIsRefusedWhileADeviceRunsIt() throws Exception {
        fx.generate("ed25519", "root1", "targets", "other");
        CliRun init = CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1"));
        assertThat(init.exitCode()).as(init.err()).isZero();
        for (String name : List.of("fw-1.bin", "fw-2.bin")) {
            Path image = tmp.resolve(name);
            Files.writeString(image, "image " + name);
            CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                    "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
            assertThat(pub.exitCode()).as(pub.err()).isZero();
        }
        ServerClient device = enroll("dev1");
        device.checkIn(manifest(device.deviceId(), "fw-2.bin"));

        assertOneLineError(as(admin, "release", "delete", "fw-1.bin", "--targets-key", fx.key("other")),
                "refusing to sign on top of it");
        assertOneLineError(as(admin, "release", "delete", "nope.bin", "--targets-key", fx.key("targets")),
                "do not list 'nope.bin'");
        assertOneLineError(as(admin, "release", "delete", "fw-2.bin", "--targets-key", fx.key("targets")),
                "release_in_use: release 'fw-2.bin' is in use: 1 device runs it");

        CliRun deleted = as(admin, "release", "delete", "fw-1.bin", "--targets-key", fx.key("targets"));
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).contains("deleted fw-1.bin", "targets version 3 no longer lists it");
        assertThat(texts(okJson("release", "list").path("items"), "targetPath")).containsExactly("fw-2.bin");
        // the next publish signs on top of the targets without it
        Path three = Files.writeString(tmp.resolve("fw-3.bin"), "image three");
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", three,
                "--version", "3.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();
        assertThat(texts(okJson("release", "list").path("items"), "targetPath")).containsExactly("fw-2.bin", "fw-3.bin");
        // --json: the server's answer instead of the sentence
        JsonNode gone = okJson("release", "delete", "fw-3.bin", "--targets-key", fx.key("targets"));
        assertThat(gone.path("targetPath").asText()).isEqualTo("fw-3.bin");
        assertThat(gone.path("sha256").asText()).hasSize(64);
        assertThat(texts(okJson("release", "list").path("items"), "targetPath")).containsExactly("fw-2.bin");
    }
}
