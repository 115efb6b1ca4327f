package dev.flotilla.cli;

import dev.flotilla.agent.net.DeviceHttp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.net.ServerClient;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.keys.KeyFiles;
import dev.flotilla.core.keys.KeySigner;
import dev.flotilla.server.Server;
import dev.flotilla.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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
 * The operator commands ({@code devices}, {@code releases}, {@code deployments}, {@code tokens},
 * {@code enrollment-tokens}, {@code audit}) against a real in-process server, readable and with --json.
 */
class OperatorCommandsTest {
    @TempDir
    Path tmp;
    private Server server;
    private String admin;
    private CliFixture fx;

    @BeforeEach
    void start() {
        server = Server.start(ServerConfig.defaults().withDataDir(tmp.resolve("data")).withPort(0).withHost("127.0.0.1")
                .withDatabaseUrl("jdbc:h2:mem:ops" + System.nanoTime() + ";DB_CLOSE_DELAY=-1"));
        admin = server.initialAdminToken().orElseThrow();
        fx = new CliFixture(tmp);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Runs a command as the given token against the server. */
    private CliRun as(String token, Object... args) {
        List<Object> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.uri(), "--token", token));
        return CliRun.of(all.toArray());
    }

    private CliRun ok(Object... args) {
        CliRun run = as(admin, args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
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

    /** Enrolls a device with a key made by {@code keys generate}, through the agent's client; returns it. */
    private ServerClient enroll(String name, String hardware) throws Exception {
        JsonNode et = okJson("enrollment-tokens", "create", "--description", "test fleet");
        fx.generate("ed25519", name);
        KeySigner key = KeyFiles.loadSigner(fx.key(name));
        ServerClient device = new ServerClient(server.uri(), DeviceHttp.direct(null));
        String id = device.enroll(et.path("secret").asText(), key.publicKey().toJson(), hardware,
                CanonicalJson.mapper().createObjectNode().put("model", "sim"));
        device.identity(id, key);
        return device;
    }

    private static ObjectNode manifest(String deviceId) {
        return CanonicalJson.mapper().createObjectNode().put("deviceId", deviceId).put("agentVersion", "0.1.0")
                .put("bootState", "normal").put("healthState", "healthy").put("slot", "a")
                .put("securityVersion", 0).put("trustedRootVersion", 1);
    }

    @Test
    void tokensCreateListRevokeReadableAndJson() {
        CliRun created = ok("tokens", "create", "--name", "ci", "--role", "release-manager");
        assertThat(created.out()).contains("(ci, release-manager)").containsPattern("secret: flt_\\S+");

        JsonNode viewer = okJson("tokens", "create", "--name", "dashboard", "--role", "viewer");
        assertThat(viewer.path("secret").asText()).startsWith("flt_");
        assertThat(viewer.path("token").path("role").asText()).isEqualTo("viewer");
        String viewerId = viewer.path("token").path("id").asText();

        CliRun list = ok("tokens", "list");
        assertThat(list.out()).startsWith("ID").contains("ci", "dashboard", "release-manager", "viewer")
                .doesNotContain("flt_");
        JsonNode page = okJson("tokens", "list");
        assertThat(texts(page.path("items"), "name")).contains("ci", "dashboard");

        CliRun revoked = ok("tokens", "revoke", viewerId);
        assertThat(revoked.out()).contains("token " + viewerId + " revoked at ");
        assertOneLineError(as(viewer.path("secret").asText(), "devices", "list"), "flotilla: error: unauthenticated: ");
        assertOneLineError(as(viewer.path("secret").asText(), "devices", "list"), "log in again with 'flotilla login");

        String otherId = okJson("tokens", "create", "--name", "tmp", "--role", "operator").path("token").path("id").asText();
        assertThat(okJson("tokens", "revoke", otherId).path("revokedAt").isTextual()).isTrue();

        assertOneLineError(as(admin, "tokens", "create", "--name", "x", "--role", "superuser"),
                "flotilla: error: invalid_request: ");
    }

    @Test
    void aViewerIsRefusedOnMutatingCommandsWithOneLine() throws Exception {
        String viewer = okJson("tokens", "create", "--name", "v", "--role", "viewer").path("secret").asText();
        String deviceId = enroll("dev1", "board-a").deviceId();

        CliRun tag = as(viewer, "devices", "tag", deviceId, "--tag", "lab");
        assertOneLineError(tag, "flotilla: error: forbidden: ");
        assertThat(tag.exitCode()).isEqualTo(1);
        assertThat(tag.out()).isEmpty();
        assertOneLineError(as(viewer, "tokens", "create", "--name", "x", "--role", "admin"), "forbidden: ");
        assertOneLineError(as(viewer, "devices", "decommission", deviceId, "--json"), "forbidden: ");
        assertOneLineError(as(viewer, "audit", "list"), "forbidden: ");
        // but reading is allowed, and nothing changed
        CliRun show = as(viewer, "devices", "show", deviceId);
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.out()).contains("status:     active").contains("tags:       -");
    }

    @Test
    void unknownDeviceAndUnreachableServerAreOneLineErrors() {
        CliRun show = as(admin, "devices", "show", "no-such-device");
        assertOneLineError(show, "flotilla: error: not_found: ");
        assertThat(show.exitCode()).isEqualTo(1);
        assertOneLineError(as(admin, "devices", "events", "no-such-device", "--json"), "not_found: ");
        assertOneLineError(as(admin, "devices", "decommission", "no-such-device"), "not_found: ");
        assertOneLineError(as(admin, "deployments", "show", "no-such-deployment"), "not_found: ");

        CliRun down = CliRun.of("devices", "list", "--server", "http://127.0.0.1:1", "--token", admin);
        assertOneLineError(down, "cannot connect to http://127.0.0.1:1/: is the server running there? (check --server");
        assertThat(down.exitCode()).isEqualTo(1);
        assertOneLineError(CliRun.of("devices", "list", "--server", "not a url", "--token", admin), "--server");
    }

    @Test
    void withoutServerOrTokenTheCommandSaysWhichIsMissing() {
        Assumptions.assumeTrue(System.getenv("FLOTILLA_SERVER") == null && System.getenv("FLOTILLA_TOKEN") == null,
                "FLOTILLA_SERVER/FLOTILLA_TOKEN set in this environment");
        Assumptions.assumeTrue(dev.flotilla.cli.support.ProfileStore.standard().load().isEmpty(),
                "a profile saved by 'flotilla login' in this environment");
        assertOneLineError(CliRun.of("devices", "list"), "flotilla: error: no server: pass --server URL, set"
                + " FLOTILLA_SERVER, or save one with 'flotilla login --server URL'");
        assertOneLineError(CliRun.of("audit", "list", "--server", server.uri()),
                "flotilla: error: no token: pass --token TOKEN, set FLOTILLA_TOKEN, or save one with 'flotilla login"
                        + " --server " + server.uri() + "'");
    }

    @Test
    void groupWindowSetShowClearReadableAndJson() throws Exception {
        String id = enroll("dev1", "board-a").deviceId();
        ok("devices", "group", id, "--group", "berlin");

        assertThat(ok("devices", "group-window", "set", "berlin", "--window", "0 2 * * *", "--window-minutes", 120,
                "--window-zone", "Europe/Berlin").out())
                .contains("group berlin (1 devices): window '0 2 * * *' for 120 min (Europe/Berlin)")
                .contains("re-signed assignments: 0");
        JsonNode shown = okJson("devices", "group-window", "show", "berlin");
        assertThat(shown.path("maintenanceWindow").path("zone").asText()).isEqualTo("Europe/Berlin");
        assertThat(shown.path("maintenanceWindow").path("durationMinutes").asInt()).isEqualTo(120);
        assertOneLineError(as(admin, "devices", "group-window", "set", "berlin", "--window", "0 25 * * *",
                "--window-minutes", 60), "invalid_window: maintenanceWindow.cron ");
        assertOneLineError(as(admin, "devices", "group-window", "show", "nobody"), "not_found: group 'nobody' not found");
        assertThat(ok("devices", "group-window", "clear", "berlin").out()).contains("group berlin (1 devices): no window");
        assertThat(okJson("devices", "group-window", "show", "berlin").path("maintenanceWindow").isNull()).isTrue();
    }

    @Test
    void devicesListShowEventsTagGroupDecommission() throws Exception {
        ServerClient one = enroll("dev1", "board-a");
        ServerClient two = enroll("dev2", "board-b");
        String id1 = one.deviceId();
        String id2 = two.deviceId();
        one.checkIn(manifest(id1));
        ArrayNode events = CanonicalJson.mapper().createArrayNode();
        events.addObject().put("eventId", "e-1").put("type", "download_started");
        events.addObject().put("eventId", "e-2").put("type", "downloaded")
                .set("details", CanonicalJson.mapper().createObjectNode().put("bytes", 1234));
        assertThat(one.postEvents(events)).isTrue();

        CliRun list = ok("devices", "list");
        assertThat(list.out().lines().toList()).hasSize(3);
        assertThat(list.out()).startsWith("ID").contains(id1, id2, "board-a", "board-b", "active", "INSTALLED",
                "HEALTH", "healthy");
        JsonNode all = okJson("devices", "list");
        for (JsonNode item : all.path("items")) { // with what the latest manifest says (none yet for dev2)
            boolean first = item.path("id").asText().equals(id1);
            assertThat(item.path("health").isNull() ? null : item.path("health").asText())
                    .isEqualTo(first ? "healthy" : null);
            assertThat(item.has("installedTarget") && item.has("installedVersion")).isTrue();
        }
        String seen = null;
        for (JsonNode item : all.path("items")) {
            seen = item.path("id").asText().equals(id1) ? item.path("lastSeenAt").asText() : seen;
        }
        assertThat(java.time.Instant.parse(seen)).as("the check-in was seen").isNotNull();
        String header = list.out().lines().findFirst().orElseThrow();
        String row = list.out().lines().filter(l -> l.startsWith(id1)).findFirst().orElseThrow();
        assertThat(row.substring(header.indexOf("LAST SEEN")).strip()).as("LAST SEEN of the device that checked in")
                .isEqualTo(seen);
        JsonNode page = okJson("devices", "list", "--hardware", "board-b");
        assertThat(texts(page.path("items"), "id")).containsExactly(id2);
        assertThat(texts(okJson("devices", "list", "--health", "healthy").path("items"), "id")).containsExactly(id1);
        assertThat(texts(okJson("devices", "list", "--attribute", "model=sim").path("items"), "id"))
                .containsExactlyInAnyOrder(id1, id2);
        assertThat(texts(okJson("devices", "list", "--search", id2).path("items"), "id")).containsExactly(id2);
        assertThat(texts(okJson("devices", "list", "--connectivity", "online").path("items"), "id")).containsExactly(id1);
        assertThat(okJson("devices", "list", "--installed-version", "9.9").path("items")).isEmpty();
        assertOneLineError(as(admin, "devices", "list", "--connectivity", "sometimes"), "invalid_request: ");
        assertThat(okJson("devices", "list", "--limit", 1).path("nextOffset").asInt()).isEqualTo(1);
        assertThat(ok("devices", "list", "--limit", 1).out()).contains("(more: --offset 1)");

        CliRun show = ok("devices", "show", id1);
        assertThat(show.out()).contains("id:         " + id1, "hardware:   board-a", "manifest:", "agentVersion: 0.1.0",
                "healthState: healthy", "attributes: {\"model\":\"sim\"}");
        assertThat(ok("devices", "show", id2).out()).contains("manifest:   none yet");
        JsonNode shown = okJson("devices", "show", id1);
        assertThat(shown.path("device").path("id").asText()).isEqualTo(id1);
        assertThat(shown.path("manifest").path("bootState").asText()).isEqualTo("normal");

        CliRun ev = ok("devices", "events", id1);
        assertThat(ev.out()).startsWith("OCCURRED").contains("download_started", "downloaded", "e-2", "{\"bytes\":1234}");
        assertThat(texts(okJson("devices", "events", id1).path("items"), "eventId")).containsExactlyInAnyOrder("e-1", "e-2");

        assertThat(ok("devices", "tag", id1, "--tag", "lab", "--tag", "eu").out()).contains("device " + id1 + " tags: eu,lab");
        assertThat(okJson("devices", "tag", id2, "--tag", "eu").path("tags").toString()).isEqualTo("[\"eu\"]");
        assertThat(texts(okJson("devices", "list", "--tag", "eu").path("items"), "id")).containsExactlyInAnyOrder(id1, id2);
        assertThat(texts(okJson("devices", "list", "--tag", "lab").path("items"), "id")).containsExactly(id1);

        assertThat(ok("devices", "group", id1, "--group", "canary").out()).contains("device " + id1 + " group: canary");
        assertThat(okJson("devices", "group", id2, "--group", "canary").path("group").asText()).isEqualTo("canary");
        assertThat(texts(okJson("devices", "list", "--group", "canary").path("items"), "id")).containsExactlyInAnyOrder(id1, id2);
        assertThat(okJson("devices", "group", id2, "--none").path("group").isNull()).isTrue();
        assertOneLineError(as(admin, "devices", "group", id2), "--group G and --none");

        assertThat(ok("devices", "decommission", id1).out()).contains("device " + id1 + " decommissioned");
        assertThat(okJson("devices", "decommission", id2).path("status").asText()).isEqualTo("decommissioned");
        assertThat(texts(okJson("devices", "list", "--status", "decommissioned").path("items"), "id"))
                .containsExactlyInAnyOrder(id1, id2);
        assertThat(okJson("devices", "list", "--status", "active").path("items")).isEmpty();
    }

    @Test
    void devicesListFiltersDevicesBehindTheNewestSecurityVersionOrTheCurrentRoot() throws Exception {
        fx.generate("ed25519", "root1", "targets");
        CliRun init = CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin,
                "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"),
                "--sign-with", fx.key("root1"));
        assertThat(init.exitCode()).as(init.err()).isZero();
        Path image = tmp.resolve("fw-2.0.bin");
        Files.write(image, new byte[4096]);
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "2.0.0", "--hardware", "board-a", "--security-version", 3,
                "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();
        ServerClient current = enroll("dev1", "board-a");
        ServerClient behind = enroll("dev2", "board-a");
        String silent = enroll("dev3", "board-a").deviceId(); // no manifest: neither behind nor current
        current.checkIn(manifest(current.deviceId()).put("securityVersion", 3).put("trustedRootVersion", 1));
        behind.checkIn(manifest(behind.deviceId()).put("securityVersion", 2).put("trustedRootVersion", 0));

        assertThat(texts(okJson("devices", "list", "--security-version", "behind").path("items"), "id"))
                .containsExactly(behind.deviceId());
        assertThat(texts(okJson("devices", "list", "--security-version", "current").path("items"), "id"))
                .containsExactly(current.deviceId());
        assertThat(texts(okJson("devices", "list", "--trusted-root", "behind").path("items"), "id"))
                .containsExactly(behind.deviceId());
        assertThat(texts(okJson("devices", "list", "--trusted-root", "current", "--security-version", "current")
                .path("items"), "id")).containsExactly(current.deviceId()).doesNotContain(silent);
        assertThat(ok("devices", "list", "--security-version", "behind").out()).contains(behind.deviceId())
                .doesNotContain(current.deviceId());
        JsonNode summary = okJson("devices", "summary");
        assertThat(summary.path("active").asLong()).isEqualTo(3);
        assertThat(summary.path("belowSecurityVersion").asLong()).isEqualTo(1);
        assertThat(summary.path("rootVersion").asLong()).isEqualTo(1);
        assertThat(summary.path("behindRoot").asLong()).isEqualTo(1);
        assertThat(ok("devices", "summary").out()).contains("3 active")
                .contains("1 below the newest security version (--security-version behind)")
                .contains("root version 1, 1 trusting an older one (--trusted-root behind)")
                .containsPattern("board-a +3 +--hardware board-a");
        assertOneLineError(as(admin, "devices", "list", "--security-version", "old"), "invalid_request: query"
                + " parameter 'securityVersion' must be one of behind, current; got 'old'");
        assertOneLineError(as(admin, "devices", "list", "--trusted-root", "3"), "invalid_request: query"
                + " parameter 'trustedRoot' must be one of behind, current; got '3'");
    }

    @Test
    void devicesListFiltersARolloutsDevicesByStateAndDevicesByInstalledVersion() throws Exception {
        fx.generate("ed25519", "root1", "targets");
        CliRun init = CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin,
                "--out", fx.repo, "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"),
                "--sign-with", fx.key("root1"));
        assertThat(init.exitCode()).as(init.err()).isZero();
        publish("fw-1.0.bin", "1.0.0");
        publish("fw-2.0.bin", "2.0.0");
        ServerClient failing = enroll("dev1", "board-a");
        ServerClient waiting = enroll("dev2", "board-a");
        ServerClient updated = enroll("dev3", "board-a");
        failing.checkIn(manifest(failing.deviceId()).put("installedTarget", "fw-1.0.bin"));
        waiting.checkIn(manifest(waiting.deviceId()).put("installedTarget", "fw-1.0.bin"));
        updated.checkIn(manifest(updated.deviceId()).put("installedTarget", "fw-2.0.bin"));

        assertThat(texts(okJson("devices", "list", "--installed-version", "1.0.0").path("items"), "id"))
                .containsExactlyInAnyOrder(failing.deviceId(), waiting.deviceId());
        assertThat(texts(okJson("devices", "list", "--installed-version", "2.0.0").path("items"), "id"))
                .containsExactly(updated.deviceId());
        assertThat(ok("devices", "list", "--installed-version", "2.0.0").out()).contains(updated.deviceId(), "2.0.0")
                .doesNotContain(failing.deviceId()).doesNotContain(waiting.deviceId());

        ok("devices", "group", failing.deviceId(), "--group", "canary");
        ok("devices", "group", waiting.deviceId(), "--group", "canary");
        String rollout = okJson("deployments", "create", "--target", "fw-2.0.bin", "--group", "canary").path("id")
                .asText();
        ArrayNode failed = CanonicalJson.mapper().createArrayNode();
        failed.addObject().put("eventId", "f-1").put("type", "failed").set("details",
                CanonicalJson.mapper().createObjectNode().put("deploymentId", rollout).put("reason", "E_FLASH"));
        assertThat(failing.postEvents(failed)).isTrue();

        assertThat(texts(okJson("devices", "list", "--rollout", rollout).path("items"), "id"))
                .containsExactlyInAnyOrder(failing.deviceId(), waiting.deviceId());
        assertThat(texts(okJson("devices", "list", "--rollout", rollout, "--rollout-state", "failed").path("items"),
                "id")).containsExactly(failing.deviceId());
        assertThat(texts(okJson("devices", "list", "--rollout", rollout, "--rollout-state", "pending").path("items"),
                "id")).containsExactly(waiting.deviceId());
        assertThat(ok("devices", "list", "--rollout", rollout, "--rollout-state", "failed").out())
                .contains(failing.deviceId()).doesNotContain(waiting.deviceId()).doesNotContain(updated.deviceId());
        assertThat(okJson("devices", "list", "--rollout", rollout, "--rollout-state", "failed", "--installed-version",
                "2.0.0").path("items")).as("with the other filters").isEmpty();
        assertOneLineError(as(admin, "devices", "list", "--rollout", rollout, "--rollout-state", "exploded"),
                "invalid_request: ");
    }

    /** Publishes a small image for board-a as {@code target} with this version, signed with the targets key. */
    private void publish(String target, String version) throws Exception {
        Path image = tmp.resolve(target);
        Files.write(image, version.getBytes(StandardCharsets.UTF_8));
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", version, "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();
    }

    @Test
    void enrollmentTokensCreateListRevoke() {
        CliRun created = ok("enrollment-tokens", "create", "--description", "line 4");
        assertThat(created.out()).contains("(line 4)", "enrolls at most 1 device(s)").containsPattern("secret: \\S+");
        JsonNode three = okJson("enrollment-tokens", "create", "--description", "line 6", "--max-uses", 3);
        assertThat(three.path("token").path("maxUses").asInt()).isEqualTo(3);
        assertThat(ok("enrollment-tokens", "create", "--description", "factory", "--fleet-wide").out())
                .contains("enrolls any number of devices (fleet-wide)");
        assertThat(ok("enrollment-tokens", "list").out()).contains("0/3", "0/unlimited", "0/1");
        JsonNode json = okJson("enrollment-tokens", "create", "--description", "line 5", "--valid-for-seconds", 3600);
        String id = json.path("token").path("id").asText();
        assertThat(json.path("secret").asText()).isNotEmpty();

        assertThat(ok("enrollment-tokens", "list").out()).startsWith("ID").contains("line 4", "line 5");
        assertThat(texts(okJson("enrollment-tokens", "list").path("items"), "description")).contains("line 4", "line 5");
        assertThat(ok("enrollment-tokens", "revoke", id).out()).contains("enrollment token " + id + " revoked at ");
        String other = okJson("enrollment-tokens", "create", "--description", "x").path("token").path("id").asText();
        assertThat(okJson("enrollment-tokens", "revoke", other).path("revokedAt").isTextual()).isTrue();
    }

    @Test
    void releasesAndDeployments() throws Exception {
        fx.generate("ed25519", "root1", "targets");
        CliRun init = CliRun.of("trust", "init", "--accept-online-keys", "--server", server.uri(), "--token", admin, "--out", fx.repo,
                "--root-key", fx.pub("root1"), "--targets-key", fx.pub("targets"), "--sign-with", fx.key("root1"));
        assertThat(init.exitCode()).as(init.err()).isZero();
        Path image = tmp.resolve("fw-1.0.bin");
        Files.write(image, new byte[4096]);
        CliRun pub = CliRun.of("release", "publish", "--server", server.uri(), "--token", admin, "--image", image,
                "--version", "1.0.0", "--hardware", "board-a", "--targets-key", fx.key("targets"), "--no-progress");
        assertThat(pub.exitCode()).as(pub.err()).isZero();

        assertThat(ok("releases", "list").out()).startsWith("TARGET").contains("fw-1.0.bin", "1.0.0", "4096");
        JsonNode releases = okJson("release", "list");
        assertThat(texts(releases.path("items"), "targetPath")).containsExactly("fw-1.0.bin");

        ServerClient device = enroll("dev1", "board-a");
        String id = device.deviceId();
        ok("devices", "group", id, "--group", "canary");

        CliRun created = ok("deployments", "create", "--target", "fw-1.0.bin", "--device", id);
        assertThat(created.out()).startsWith("deployment ").contains("fw-1.0.bin to device " + id);
        JsonNode toGroup = okJson("deployments", "create", "--target", "fw-1.0.bin", "--group", "canary");
        String groupDeployment = toGroup.path("id").asText();
        assertThat(toGroup.path("group").asText()).isEqualTo("canary");
        CliRun noAudience = as(admin, "deployments", "create", "--target", "fw-1.0.bin");
        assertThat(noAudience.exitCode()).as("a picocli usage error").isEqualTo(2);
        assertThat(noAudience.err()).startsWith("Error: Missing required argument").contains("--device=ID | --group=G");
        assertOneLineError(as(admin, "deployments", "create", "--target", "nope.bin", "--group", "canary"),
                "flotilla: error: unknown_target: ");

        CliRun list = ok("deployments", "list");
        assertThat(list.out()).startsWith("ID").contains(groupDeployment, "group canary", "device " + id);
        assertThat(okJson("deployments", "list").path("items")).hasSize(2);
        CliRun show = ok("deployments", "show", groupDeployment);
        assertThat(show.out()).contains("id:       " + groupDeployment, "target:   fw-1.0.bin", "to:       group canary");
        assertThat(okJson("deployments", "show", groupDeployment).path("status").isObject()).isTrue();
    }

    @Test
    void auditList() {
        okJson("tokens", "create", "--name", "ci", "--role", "viewer");
        okJson("enrollment-tokens", "create", "--description", "fleet");
        CliRun list = ok("audit", "list");
        assertThat(list.out()).startsWith("SEQ").contains("token.create", "enrollment-token.create");
        JsonNode one = okJson("audit", "list", "--limit", 1);
        assertThat(one.path("items")).hasSize(1);
        assertThat(one.path("nextOffset").isNumber()).isTrue();
    }
}
