package dev.flotilla.server.auth;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every management endpoint against every caller: no token, a forged token, a revoked token, a device
 * token, and each role. Callers below the least role get 403, callers without a valid operator token 401,
 * and a refused call leaves the audit log (and so the state) unchanged.
 */
class AuthorizationMatrixTest {
    /** One management call: method, path (made fresh per call, for calls that consume their target), body. */
    private record Call(String method, Supplier<String> path, String template, Supplier<Object> body, Role least) {
    }

    private static TestServer srv;
    private static final Map<String, String> CALLERS = new LinkedHashMap<>();
    private static String deviceId;
    private static String deploymentId;
    private static final OfflineRepo REPO = new OfflineRepo();
    private static final MutableClock CLOCK = new MutableClock();
    private static int uploads;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("flotilla-authz");
        srv = TestServer.start(BothDatabases.h2(), dir, CLOCK);
        for (Role r : Role.values()) {
            CALLERS.put(r.wireName(), srv.token(srv.adminToken, r.wireName()));
        }
        Http.Response created = srv.http.post("/api/v1/tokens", srv.adminToken, Map.of("name", "gone", "role", "admin"));
        String revoked = created.json().path("secret").asText();
        String revokedId = created.json().path("token").path("id").asText();
        srv.http.send("DELETE", "/api/v1/tokens/" + revokedId, srv.adminToken, null, Map.of());
        TestDevice device = srv.device(KeyType.ED25519, "board-m");
        deviceId = device.id();
        REPO.buildRoot(srv.http.get("/api/v1/trust/online-keys", srv.adminToken).json(), CLOCK.instant());
        assertThat(REPO.uploadRoot(srv.http, srv.adminToken).status()).isEqualTo(200);
        assertThat(REPO.publish(srv.http, srv.adminToken, "fw-base.bin", new byte[] {1, 2, 3},
                REPO.addTarget("fw-base.bin", new byte[] {1, 2, 3}, "1.0.0", "board-m", CLOCK.instant())
                        .sign(REPO.targetsKey)).status()).isEqualTo(201);
        deploymentId = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", "fw-base.bin", "deviceId", deviceId)).json().path("id").asText();
        CALLERS.put("revoked-admin", revoked);
        CALLERS.put("forged", "flt_" + "A".repeat(43));
        CALLERS.put("device", device.token());
        CALLERS.put("none", null);
    }

    @AfterAll
    static void stop() {
        srv.close();
    }

    private static List<Call> calls() {
        List<Call> calls = new ArrayList<>();
        calls.add(new Call("POST", () -> "/api/v1/tokens", "/api/v1/tokens",
                () -> Map.of("name", "n", "role", "viewer"), Role.ADMIN));
        calls.add(new Call("GET", () -> "/api/v1/tokens", "/api/v1/tokens", () -> null, Role.ADMIN));
        calls.add(new Call("DELETE", () -> "/api/v1/tokens/" + freshTokenId(), "/api/v1/tokens/{tokenId}",
                () -> null, Role.ADMIN));
        calls.add(new Call("POST", () -> "/api/v1/enrollment-tokens", "/api/v1/enrollment-tokens",
                () -> Map.of("description", "d"), Role.OPERATOR));
        calls.add(new Call("GET", () -> "/api/v1/enrollment-tokens", "/api/v1/enrollment-tokens", () -> null, Role.OPERATOR));
        calls.add(new Call("DELETE", () -> "/api/v1/enrollment-tokens/" + freshEnrollmentTokenId(),
                "/api/v1/enrollment-tokens/{tokenId}", () -> null, Role.OPERATOR));
        calls.add(new Call("GET", () -> "/api/v1/devices?tag=x", "/api/v1/devices", () -> null, Role.VIEWER));
        calls.add(new Call("POST", () -> "/api/v1/devices", "/api/v1/devices", () -> Map.of(
                "publicKey", new TestDevice(KeyType.ED25519).publicKeyJson(), "hardwareId", "board-m"), Role.OPERATOR));
        calls.add(new Call("GET", () -> "/api/v1/devices/" + deviceId, "/api/v1/devices/{deviceId}", () -> null, Role.VIEWER));
        calls.add(new Call("GET", () -> "/api/v1/fleet/summary", "/api/v1/fleet/summary", () -> null, Role.VIEWER));
        calls.add(new Call("PUT", () -> "/api/v1/devices/" + deviceId + "/tags", "/api/v1/devices/{deviceId}/tags",
                () -> Map.of("tags", List.of("eu")), Role.OPERATOR));
        calls.add(new Call("PUT", () -> "/api/v1/devices/" + deviceId + "/group", "/api/v1/devices/{deviceId}/group",
                () -> Map.of("group", "lab"), Role.OPERATOR));
        calls.add(new Call("POST", () -> "/api/v1/devices/" + freshDeviceId() + "/decommission",
                "/api/v1/devices/{deviceId}/decommission", Map::of, Role.OPERATOR));
        calls.add(new Call("POST", () -> "/api/v1/devices/" + freshDecommissionedDeviceId() + "/recommission",
                "/api/v1/devices/{deviceId}/recommission", Map::of, Role.OPERATOR));
        calls.add(new Call("DELETE", () -> "/api/v1/devices/" + freshDeviceId(), "/api/v1/devices/{deviceId}",
                () -> null, Role.ADMIN));
        calls.add(new Call("GET", () -> "/api/v1/devices/" + deviceId + "/events", "/api/v1/devices/{deviceId}/events",
                () -> null, Role.VIEWER));
        calls.add(new Call("GET", () -> "/api/v1/audit", "/api/v1/audit", () -> null, Role.ADMIN));
        calls.add(new Call("GET", () -> "/api/v1/trust/online-keys", "/api/v1/trust/online-keys", () -> null, Role.VIEWER));
        calls.add(new Call("PUT", () -> "/api/v1/trust/root", "/api/v1/trust/root",
                () -> REPO.rootVersion(OfflineRepo.publishedVersion(srv.http, "root") + 1, CLOCK.instant()), Role.ADMIN));
        calls.add(new Call("PUT", () -> "/api/v1/trust/targets", "/api/v1/trust/targets",
                AuthorizationMatrixTest::refreshBody, Role.RELEASE_MANAGER));
        calls.add(new Call("POST", () -> "/api/v1/releases/images", "/api/v1/releases/images",
                () -> new byte[] {7, 7, 7}, Role.RELEASE_MANAGER));
        calls.add(new Call("POST", () -> "/api/v1/releases", "/api/v1/releases", AuthorizationMatrixTest::releaseBody,
                Role.RELEASE_MANAGER));
        calls.add(new Call("GET", () -> "/api/v1/releases", "/api/v1/releases", () -> null, Role.VIEWER));
        calls.add(new Call("GET", () -> "/api/v1/releases/fw-base.bin", "/api/v1/releases/{targetPath}", () -> null,
                Role.VIEWER));
        calls.add(new Call("DELETE", AuthorizationMatrixTest::freshRelease, "/api/v1/releases/{targetPath}",
                AuthorizationMatrixTest::deletionBody, Role.RELEASE_MANAGER));
        calls.add(new Call("POST", () -> "/api/v1/deployments", "/api/v1/deployments",
                () -> Map.of("target", "fw-base.bin", "deviceId", deviceId), Role.OPERATOR));
        calls.add(new Call("GET", () -> "/api/v1/deployments", "/api/v1/deployments", () -> null, Role.VIEWER));
        calls.add(new Call("GET", () -> "/api/v1/deployments/" + deploymentId, "/api/v1/deployments/{deploymentId}",
                () -> null, Role.VIEWER));
        calls.add(new Call("POST", () -> "/api/v1/deployments/" + deploymentId + "/cancel",
                "/api/v1/deployments/{deploymentId}/cancel", Map::of, Role.OPERATOR));
        calls.add(new Call("POST", () -> "/api/v1/rollouts", "/api/v1/rollouts", () -> rolloutBody(false), Role.OPERATOR));
        calls.add(new Call("POST", () -> "/api/v1/rollouts/preview", "/api/v1/rollouts/preview", () -> rolloutBody(false),
                Role.OPERATOR));
        calls.add(new Call("GET", () -> "/api/v1/rollouts", "/api/v1/rollouts", () -> null, Role.VIEWER));
        calls.add(new Call("GET", () -> "/api/v1/rollouts/" + deploymentId, "/api/v1/rollouts/{rolloutId}",
                () -> null, Role.VIEWER));
        calls.add(new Call("GET", () -> "/api/v1/rollouts/" + deploymentId + "/devices",
                "/api/v1/rollouts/{rolloutId}/devices", () -> null, Role.VIEWER));
        for (String action : List.of("start", "pause", "resume", "abort", "advance", "approve", "retry")) {
            calls.add(new Call("POST", () -> "/api/v1/rollouts/" + freshRollout(action) + "/" + action,
                    "/api/v1/rollouts/{rolloutId}/" + action, Map::of, Role.OPERATOR));
        }
        String window = "/api/v1/groups/{group}/maintenance-window";
        calls.add(new Call("GET", AuthorizationMatrixTest::labWindow, window, () -> null, Role.VIEWER));
        calls.add(new Call("PUT", AuthorizationMatrixTest::labWindow, window,
                () -> Map.of("cron", "0 2 * * *", "durationMinutes", 60), Role.OPERATOR));
        calls.add(new Call("DELETE", AuthorizationMatrixTest::labWindow, window, () -> null, Role.OPERATOR));
        return calls;
    }

    /** A rollout of fw-base.bin to the test device, in two stages, taking the device over. */
    private static Map<String, Object> rolloutBody(boolean start) {
        return Map.of("target", "fw-base.bin", "selection", Map.of("devices", List.of(deviceId)), "supersede", true,
                "start", start, "plan", Map.of("stages", List.of(Map.of("count", 1), Map.of("percent", 100))));
    }

    /** A new rollout in a state that allows {@code action} (created for start, paused for resume, else active). */
    private static String freshRollout(String action) {
        String id = srv.http.post("/api/v1/rollouts", srv.adminToken, rolloutBody(!action.equals("start")))
                .json().path("id").asText();
        if (action.equals("resume")) {
            srv.http.post("/api/v1/rollouts/" + id + "/pause", srv.adminToken, Map.of());
        }
        return id;
    }

    /** A fresh upload and the next targets version listing it (and the base image, kept for deployments). */
    private static Object releaseBody() {
        String path = "fw-" + (++uploads) + ".bin";
        byte[] image = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String uploadId = srv.http.send("POST", "/api/v1/releases/images", srv.adminToken, image, Map.of())
                .json().path("uploadId").asText();
        long next = OfflineRepo.publishedVersion(srv.http, "targets") + 1;
        var md = REPO.singleTarget(next, path, image, CLOCK.instant());
        var targets = new java.util.LinkedHashMap<>(currentTargets().signed().targets());
        targets.putAll(md.signed().targets());
        var both = dev.flotilla.core.tuf.Metadata.of(new dev.flotilla.core.tuf.Targets(md.signed().specVersion(), next,
                md.signed().expires(), targets, null, Map.of())).sign(REPO.targetsKey);
        return Map.of("uploadId", uploadId, "path", path,
                "targets", dev.flotilla.core.json.CanonicalJson.parse(both.toBytes()));
    }

    /** The server's current targets metadata. */
    private static dev.flotilla.core.tuf.Metadata<dev.flotilla.core.tuf.Targets> currentTargets() {
        long v = OfflineRepo.publishedVersion(srv.http, "targets");
        return dev.flotilla.core.tuf.Metadata.fromBytes(srv.http.get("/tuf/metadata/" + v + ".targets.json", null).text()
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), dev.flotilla.core.tuf.Targets.class);
    }

    private static String lastDeletable;

    /** Publishes a release no device uses; returns its path under /api/v1/releases/. */
    private static String freshRelease() {
        lastDeletable = "fw-del-" + (++uploads) + ".bin";
        byte[] image = lastDeletable.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String uploadId = srv.http.send("POST", "/api/v1/releases/images", srv.adminToken, image, Map.of())
                .json().path("uploadId").asText();
        var current = currentTargets().signed();
        var md = REPO.singleTarget(current.version() + 1, lastDeletable, image, CLOCK.instant());
        var targets = new java.util.LinkedHashMap<>(current.targets());
        targets.putAll(md.signed().targets());
        var next = dev.flotilla.core.tuf.Metadata.of(new dev.flotilla.core.tuf.Targets(md.signed().specVersion(),
                current.version() + 1, md.signed().expires(), targets, null, Map.of())).sign(REPO.targetsKey);
        Http.Response r = srv.http.post("/api/v1/releases", srv.adminToken, Map.of("uploadId", uploadId,
                "path", lastDeletable, "targets", dev.flotilla.core.json.CanonicalJson.parse(next.toBytes())));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return "/api/v1/releases/" + lastDeletable;
    }

    /** The next targets version without the release {@link #freshRelease} made. */
    private static Object deletionBody() {
        var current = currentTargets().signed();
        var targets = new java.util.LinkedHashMap<>(current.targets());
        targets.remove(lastDeletable);
        var next = dev.flotilla.core.tuf.Metadata.of(new dev.flotilla.core.tuf.Targets(current.specVersion(),
                current.version() + 1, current.expires(), targets, null, Map.of())).sign(REPO.targetsKey);
        return Map.of("targets", dev.flotilla.core.json.CanonicalJson.parse(next.toBytes()));
    }

    /** The server's current targets, re-signed unchanged at the next version (a targets refresh). */
    private static Object refreshBody() {
        long current = OfflineRepo.publishedVersion(srv.http, "targets");
        byte[] bytes = srv.http.get("/tuf/metadata/" + current + ".targets.json", null).text()
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var t = dev.flotilla.core.tuf.Metadata.fromBytes(bytes, dev.flotilla.core.tuf.Targets.class).signed();
        return dev.flotilla.core.tuf.Metadata.of(new dev.flotilla.core.tuf.Targets(t.specVersion(), current + 1,
                t.expires(), t.targets(), t.delegations(), t.unrecognized())).sign(REPO.targetsKey).toBytes();
    }

    @Test
    void everyCallerAgainstEveryManagementEndpoint() {
        for (Call call : calls()) {
            for (Map.Entry<String, String> caller : CALLERS.entrySet()) {
                String path = call.path().get();
                Object body = call.body().get();
                int auditBefore = auditCount();
                Http.Response r = srv.http.send(call.method(), path, caller.getValue(), body, Map.of());
                int expected = expectedStatus(caller.getKey(), call);
                String what = call.method() + " " + call.template() + " as " + caller.getKey();
                if (expected < 300) {
                    assertThat(r.status()).as(what + ": " + r.text()).isBetween(200, 299);
                } else {
                    assertThat(r.status()).as(what).isEqualTo(expected);
                    assertThat(r.code()).as(what).isEqualTo(expected == 401 ? "unauthenticated" : "forbidden");
                    assertThat(auditCount()).as(what + " changed nothing").isEqualTo(auditBefore);
                }
            }
        }
    }

    @Test
    void matrixCoversEveryManagementRoute() {
        List<String> covered = calls().stream().map(c -> c.method() + " " + c.template()).toList();
        List<String> management = srv.server.routes().stream()
                .filter(r -> r.contains(" /api/v1/") && !r.contains(" /api/v1/device/"))
                .toList();
        assertThat(covered).containsExactlyInAnyOrderElementsOf(management);
    }

    private static int expectedStatus(String caller, Call call) {
        return Role.fromWireName(caller).map(role -> role.covers(call.least()) ? 200 : 403).orElse(401);
    }

    private static int auditCount() {
        return srv.http.get("/api/v1/audit?limit=500", srv.adminToken).json().path("items").size();
    }

    /** The window path of group lab, with the device in that group (so the group is known). */
    private static String labWindow() {
        srv.http.send("PUT", "/api/v1/devices/" + deviceId + "/group", srv.adminToken, Map.of("group", "lab"), Map.of());
        return "/api/v1/groups/lab/maintenance-window";
    }

    private static String freshTokenId() {
        return srv.http.post("/api/v1/tokens", srv.adminToken, Map.of("name", "victim", "role", "viewer"))
                .json().path("token").path("id").asText();
    }

    private static String freshEnrollmentTokenId() {
        return srv.http.post("/api/v1/enrollment-tokens", srv.adminToken, Map.of("description", "victim"))
                .json().path("token").path("id").asText();
    }

    private static String freshDecommissionedDeviceId() {
        String id = freshDeviceId();
        srv.http.post("/api/v1/devices/" + id + "/decommission", srv.adminToken, Map.of());
        return id;
    }

    private static String freshDeviceId() {
        return srv.http.post("/api/v1/devices", srv.adminToken, Map.of(
                "publicKey", new TestDevice(KeyType.ED25519).publicKeyJson(), "hardwareId", "victim"))
                .json().path("id").asText();
    }
}
