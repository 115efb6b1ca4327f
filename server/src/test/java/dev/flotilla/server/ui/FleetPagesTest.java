package dev.flotilla.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.testing.Http;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet overview, the device list's filters (dashboard and API) and paging, the device page, the
 * releases page and the audit page, on a small fleet that checked in and reported events; both databases.
 */
class FleetPagesTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private final OfflineRepo repo = new OfflineRepo();

    /** Three devices: d1 runs 1.0 (security version 0), d2 runs 2.0 (5) and trusts an old root, d3 never checked in. */
    private record Fleet(TestDevice d1, TestDevice d2, TestDevice d3) {
    }

    private Fleet fleet(TestServer srv) {
        Http.Response keys = srv.http.get("/api/v1/trust/online-keys", srv.adminToken);
        repo.buildRoot(keys.json(), clock.instant());
        assertThat(repo.uploadRoot(srv.http, srv.adminToken).status()).isEqualTo(200);
        String rm = srv.token(srv.adminToken, "release-manager");
        byte[] one = "firmware one".getBytes(StandardCharsets.UTF_8);
        byte[] two = "firmware two".getBytes(StandardCharsets.UTF_8);
        Metadata<Targets> t1 = repo.addTarget("fw-a-1.0.bin", one, "1.0", "board-a", 0, clock.instant()).sign(repo.targetsKey);
        assertThat(repo.publish(srv.http, rm, "fw-a-1.0.bin", one, t1).status()).isEqualTo(201);
        Metadata<Targets> t2 = repo.addTarget("fw-a-2.0.bin", two, "2.0", "board-a", 5, clock.instant()).sign(repo.targetsKey);
        assertThat(repo.publish(srv.http, rm, "fw-a-2.0.bin", two, t2).status()).isEqualTo(201);

        TestDevice d1 = srv.device(KeyType.ED25519, "board-a");
        TestDevice d2 = srv.device(KeyType.ECDSA_P256, "board-a");
        TestDevice d3 = srv.device(KeyType.ED25519, "board-b");
        checkIn(srv, d1, "fw-a-1.0.bin", 0, 1, "ok");
        checkIn(srv, d2, "fw-a-2.0.bin", 5, 0, "degraded");
        List<Map<String, Object>> events = new ArrayList<>();
        String[] types = {"downloaded", "verified", "installed", "trial_boot", "committed"};
        for (int i = 0; i < types.length; i++) {
            events.add(Map.of("eventId", "e" + i, "type", types[i], "occurredAt", "2026-12-02T10:0" + i + ":00Z"));
        }
        assertThat(srv.http.post("/api/v1/device/" + d2.id() + "/events", d2.token(), Map.of("events", events))
                .status()).isEqualTo(200);
        return new Fleet(d1, d2, d3);
    }

    private static void checkIn(TestServer srv, TestDevice d, String target, int security, int root, String health) {
        ObjectNode m = d.manifest(d.id(), target);
        m.put("securityVersion", security);
        m.put("trustedRootVersion", root);
        m.put("healthState", health);
        assertThat(d.checkIn(srv.http, d.envelope(m), null).status()).isEqualTo(200);
    }

    private static List<String> ids(Http.Response r) {
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().path("items").forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    @StoreTest
    void theApiFiltersDevicesByInstalledVersionHealthAttributeSearchAndConnectivity(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock)) {
            Fleet f = fleet(srv);
            String t = srv.adminToken;
            assertThat(ids(srv.http.get("/api/v1/devices?installedVersion=1.0", t))).containsExactly(f.d1().id());
            JsonNode listed = srv.http.get("/api/v1/devices?hardwareId=board-a", t).json().path("items");
            assertThat(listed).hasSize(2).allSatisfy(i -> {
                boolean d1 = i.path("id").asText().equals(f.d1().id());
                assertThat(i.path("installedTarget").asText()).isEqualTo(d1 ? "fw-a-1.0.bin" : "fw-a-2.0.bin");
                assertThat(i.path("installedVersion").asText()).isEqualTo(d1 ? "1.0" : "2.0");
                assertThat(i.path("health").asText()).isEqualTo(d1 ? "ok" : "degraded");
                assertThat(i.path("keyId").asText()).isNotEmpty(); // the device's own fields, unwrapped
            });
            JsonNode never = srv.http.get("/api/v1/devices?hardwareId=board-b", t).json().path("items").get(0);
            assertThat(never.path("installedTarget").isNull()).isTrue();
            assertThat(never.path("health").isNull()).isTrue();
            assertThat(ids(srv.http.get("/api/v1/devices?installedVersion=2.0&hardwareId=board-a", t)))
                    .containsExactly(f.d2().id());
            assertThat(ids(srv.http.get("/api/v1/devices?health=degraded", t))).containsExactly(f.d2().id());
            String serial = "SN-" + f.d3().keyId().substring(0, 8);
            assertThat(ids(srv.http.get("/api/v1/devices?attribute=serial=" + serial, t))).containsExactly(f.d3().id());
            assertThat(ids(srv.http.get("/api/v1/devices?q=" + f.d2().id(), t))).containsExactly(f.d2().id());
            assertThat(ids(srv.http.get("/api/v1/devices?q=" + f.d1().keyId().substring(0, 12), t)))
                    .containsExactly(f.d1().id());
            assertThat(ids(srv.http.get("/api/v1/devices?connectivity=online", t)))
                    .containsExactlyInAnyOrder(f.d1().id(), f.d2().id());
            assertThat(ids(srv.http.get("/api/v1/devices?connectivity=offline", t))).containsExactly(f.d3().id());
            clock.advance(Duration.ofHours(1)); // past two poll intervals (300 s) plus jitter
            assertThat(ids(srv.http.get("/api/v1/devices?connectivity=online", t))).isEmpty();

            assertThat(srv.http.get("/api/v1/devices?colour=red", t).code()).isEqualTo("unknown_parameter");
            assertThat(srv.http.get("/api/v1/devices?attribute=serial", t).status()).isEqualTo(400);
            assertThat(srv.http.get("/api/v1/devices?connectivity=sometimes", t).code()).isEqualTo("invalid_request");
            assertThat(srv.http.get("/api/v1/devices?q=%25", t).json().path("items")).isEmpty(); // % is no wildcard
        }
    }

    @StoreTest
    void theApiFiltersDevicesBehindTheNewestSecurityVersionOfTheirHardwareOrTheCurrentRoot(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock)) {
            Fleet f = fleet(srv); // root 1; board-a's newest security version is 5
            String t = srv.adminToken;
            TestDevice other = srv.device(KeyType.ED25519, "board-b"); // a hardware no release names
            checkIn(srv, other, "fw-a-2.0.bin", 9, 1, "ok");
            TestDevice retired = srv.device(KeyType.ED25519, "board-a");
            checkIn(srv, retired, "fw-a-1.0.bin", 0, 0, "ok");
            String op = srv.token(t, "operator");
            assertThat(srv.http.post("/api/v1/devices/" + retired.id() + "/decommission", op, Map.of()).status())
                    .isEqualTo(200);

            assertThat(ids(srv.http.get("/api/v1/devices?securityVersion=behind", t)))
                    .containsExactlyInAnyOrder(f.d1().id(), retired.id());
            assertThat(ids(srv.http.get("/api/v1/devices?securityVersion=behind&status=active", t)))
                    .containsExactly(f.d1().id());
            assertThat(ids(srv.http.get("/api/v1/devices?securityVersion=current", t))).containsExactly(f.d2().id());
            assertThat(ids(srv.http.get("/api/v1/devices?trustedRoot=behind&status=active", t)))
                    .containsExactly(f.d2().id());
            assertThat(ids(srv.http.get("/api/v1/devices?trustedRoot=current", t)))
                    .containsExactlyInAnyOrder(f.d1().id(), other.id());
            assertThat(ids(srv.http.get("/api/v1/devices?trustedRoot=current&securityVersion=behind", t)))
                    .containsExactly(f.d1().id());
            assertThat(ids(srv.http.get("/api/v1/devices?securityVersion=current&hardwareId=board-b", t))).isEmpty();
            assertThat(ids(srv.http.get("/api/v1/devices?securityVersion=&trustedRoot=", t))).as("blank is any")
                    .hasSize(5);

            Http.Response unknown = srv.http.get("/api/v1/devices?securityVersion=below", t);
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.code()).isEqualTo("invalid_request");
            assertThat(unknown.json().path("message").asText()).isEqualTo(
                    "query parameter 'securityVersion' must be one of behind, current; got 'below'");
            assertThat(srv.http.get("/api/v1/devices?trustedRoot=old", t).json().path("message").asText())
                    .isEqualTo("query parameter 'trustedRoot' must be one of behind, current; got 'old'");
        }
    }

    @StoreTest
    void beforeARootIsUploadedNoDeviceIsBehindOrCurrentOnTheRoot(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock)) {
            TestDevice d = srv.device(KeyType.ED25519, "board-a");
            checkIn(srv, d, "fw-a-1.0.bin", 0, 1, "ok");
            assertThat(ids(srv.http.get("/api/v1/devices", srv.adminToken))).containsExactly(d.id());
            for (String v : List.of("behind", "current")) {
                assertThat(ids(srv.http.get("/api/v1/devices?trustedRoot=" + v, srv.adminToken))).as(v).isEmpty();
                assertThat(ids(srv.http.get("/api/v1/devices?securityVersion=" + v, srv.adminToken))).as(v).isEmpty();
            }
        }
    }

    @StoreTest
    void theOverviewsSecurityAndRootCardsOpenTheDevicesTheyCount(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            b.signIn(srv.adminToken);
            String overview = b.get("/ui").body();
            String below = link(overview, "link-below-security");
            String behind = link(overview, "link-behind-root");
            assertThat(below).isEqualTo("/ui/devices?status=active&securityVersion=behind");
            assertThat(behind).isEqualTo("/ui/devices?status=active&trustedRoot=behind");

            HttpResponse<String> belowPage = b.get(below);
            assertThat(belowPage.statusCode()).isEqualTo(200);
            assertThat(belowPage.body()).contains("id=\"match-count\">1<").contains("/ui/devices/" + f.d1().id())
                    .doesNotContain("/ui/devices/" + f.d2().id()).doesNotContain("/ui/devices/" + f.d3().id())
                    .containsPattern("(?s)id=\"securityVersion\".*<option selected>behind</option>.*id=\"trustedRoot\"");
            String behindPage = b.get(behind).body();
            assertThat(behindPage).contains("id=\"match-count\">1<").contains("/ui/devices/" + f.d2().id())
                    .doesNotContain("/ui/devices/" + f.d1().id())
                    .containsPattern("(?s)id=\"trustedRoot\".*<option selected>behind</option>");
            assertThat(b.get("/ui/devices?securityVersion=current").body()).contains("/ui/devices/" + f.d2().id())
                    .doesNotContain("/ui/devices/" + f.d1().id());
            HttpResponse<String> refused = b.get("/ui/devices?trustedRoot=ancient");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body()).contains("query parameter 'trustedRoot' must be one of behind, current; got 'ancient'");
        }
    }

    /** The rows of the overview's counts table under the heading with this id, as {@code NAME=COUNT}, in page order. */
    private static List<String> rows(String page, String id) {
        int start = page.indexOf("<h2 id=\"" + id + "\">");
        assertThat(start).as(id).isNotNegative();
        String table = page.substring(start, page.indexOf("</table>", start));
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "<tr><td>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>\\s*<td class=\"num\">(\\d+)</td></tr>").matcher(table);
        while (m.find()) {
            out.add(m.group(1) + "=" + m.group(2));
        }
        return out;
    }

    /** The releases page's row of the release {@code target}, from its target's link to the row's end. */
    private static String row(String releases, String target) {
        int start = releases.indexOf(">" + target + "</a>");
        assertThat(start).as(target).isNotNegative();
        return releases.substring(start, releases.indexOf("</tr>", start));
    }

    @StoreTest
    void theReleasesPageCountsEachReleasesRolloutsAndLinksToTheListOfThemAll(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            List<String> ofTwo = new ArrayList<>();
            for (int i = 0; i < RecordPages.ROLLOUTS_PER_RELEASE + 2; i++) {
                ofTwo.add(srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-a-2.0.bin",
                        "deviceId", f.d1().id())).json().path("id").asText());
            }
            String ofOne = srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-a-1.0.bin",
                    "deviceId", f.d2().id())).json().path("id").asText();
            b.signIn(srv.adminToken);
            String releases = b.get("/ui/releases").body();
            String two = row(releases, "fw-a-2.0.bin");
            assertThat(java.util.regex.Pattern.compile("href=\"/ui/rollouts/dep_").matcher(two).results().count())
                    .as("the newest five").isEqualTo(RecordPages.ROLLOUTS_PER_RELEASE);
            assertThat(two).contains("/ui/rollouts/" + ofTwo.getLast()).doesNotContain("/ui/rollouts/" + ofTwo.getFirst())
                    .contains("<a class=\"all\" href=\"/ui/rollouts?target=fw-a-2.0.bin\">All 7 rollouts</a>");
            assertThat(row(releases, "fw-a-1.0.bin")).contains("/ui/rollouts/" + ofOne)
                    .contains("href=\"/ui/rollouts?target=fw-a-1.0.bin\">The one rollout</a>");

            String all = b.get("/ui/rollouts?target=fw-a-2.0.bin").body();
            assertThat(all).contains("id=\"of-release\">Of release <code>fw-a-2.0.bin</code>")
                    .doesNotContain("/ui/rollouts/" + ofOne);
            ofTwo.forEach(id -> assertThat(all).contains("href=\"/ui/rollouts/" + id + "\""));
            assertThat(b.get("/ui/rollouts").body()).doesNotContain("id=\"of-release\"")
                    .contains("/ui/rollouts/" + ofOne).contains("/ui/rollouts/" + ofTwo.getFirst());
            assertThat(b.get("/ui/rollouts?target=fw-none.bin").body()).contains("No rollout of this release.");
            assertThat(b.get("/ui/rollouts?release=fw-a-2.0.bin").statusCode()).isEqualTo(400);
        }
    }

    /** The digest of {@code bytes} by {@code algorithm}, in lower-case hex. */
    private static String hex(String algorithm, byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The target of the link with this id, its {@code &amp;} read as {@code &}. */
    private static String link(String page, String id) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("id=\"" + id + "\" href=\"([^\"]+)\"").matcher(page);
        assertThat(m.find()).as(id).isTrue();
        return m.group(1).replace("&amp;", "&");
    }

    /** Deploys {@code target} to device {@code d}; the deployment's id. */
    private static String deploy(TestServer srv, String target, TestDevice d) {
        Http.Response r = srv.http.post("/api/v1/deployments", srv.adminToken,
                Map.of("target", target, "deviceId", d.id()));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    @StoreTest
    void theApiAndTheDevicesPageFilterDevicesByTheirStateInARollout(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            String t = srv.adminToken;
            String toD1 = deploy(srv, "fw-a-2.0.bin", f.d1());
            String toD2 = deploy(srv, "fw-a-1.0.bin", f.d2());
            assertThat(srv.http.post("/api/v1/device/" + f.d2().id() + "/events", f.d2().token(), Map.of("events",
                    List.of(Map.of("eventId", "r1", "type", "failed", "details", Map.of("deploymentId", toD2)))))
                    .status()).isEqualTo(200);

            assertThat(ids(srv.http.get("/api/v1/devices?rollout=" + toD1, t))).containsExactly(f.d1().id());
            assertThat(ids(srv.http.get("/api/v1/devices?rollout=" + toD1 + "&rolloutState=pending", t)))
                    .containsExactly(f.d1().id());
            assertThat(ids(srv.http.get("/api/v1/devices?rollout=" + toD1 + "&rolloutState=failed", t))).isEmpty();
            assertThat(ids(srv.http.get("/api/v1/devices?rollout=" + toD2 + "&rolloutState=failed", t)))
                    .containsExactly(f.d2().id());
            assertThat(ids(srv.http.get("/api/v1/devices?rollout=" + toD2 + "&rolloutState=failed&health=ok", t)))
                    .isEmpty(); // with the other filters: d2 reports "degraded"
            assertThat(ids(srv.http.get("/api/v1/devices?rollout=rol_unknown", t))).isEmpty();

            b.signIn(t);
            assertThat(b.get("/ui/devices?hardwareId=board-a").body())
                    .contains("<td class=\"installed\">1.0</td>", "<td class=\"health\">degraded</td>");
            String page = b.get("/ui/devices?rollout=" + toD2 + "&rolloutState=failed").body();
            assertThat(page).contains(f.d2().id()).doesNotContain(f.d1().id())
                    .contains("<option selected>failed</option>").contains("value=\"" + toD2 + "\"");
            assertThat(b.get("/ui/rollouts/" + toD2).body())
                    .contains("href=\"/ui/devices?rollout=" + toD2 + "&amp;rolloutState=failed\"");

            assertThat(srv.http.get("/api/v1/devices?rolloutState=failed", t).code()).isEqualTo("invalid_request");
            assertThat(srv.http.get("/api/v1/devices?rollout=" + toD1 + "&rolloutState=exploded", t).code())
                    .isEqualTo("invalid_request");
        }
    }

    @StoreTest
    void theApiGivesTheOverviewsCountsToViewersAndRefusesParametersAndStrangers(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock)) {
            fleet(srv);
            Http.Response r = srv.http.get("/api/v1/fleet/summary", srv.token(srv.adminToken, "viewer"));
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            JsonNode s = r.json();
            assertThat(s.path("active").asLong()).isEqualTo(3);
            assertThat(s.path("online").asLong()).isEqualTo(2);
            assertThat(s.path("offline").asLong()).isEqualTo(1);
            assertThat(s.path("neverSeen").asLong()).isEqualTo(1);
            assertThat(s.path("decommissioned").asLong()).isZero();
            assertThat(s.path("belowSecurityVersion").asLong()).isEqualTo(1);
            assertThat(s.path("behindRoot").asLong()).isEqualTo(1);
            assertThat(s.path("byHardware").findValuesAsText("label")).containsExactly("board-a", "board-b");
            assertThat(s.path("byHardware").findValuesAsText("filter")).containsExactly("board-a", "board-b");
            assertThat(s.path("byVersion").findValuesAsText("label")).contains("1.0 (fw-a-1.0.bin)",
                    "2.0 (fw-a-2.0.bin)", "no manifest yet");
            assertThat(s.path("byHealth").findValuesAsText("label")).contains("degraded");

            Http.Response unknown = srv.http.get("/api/v1/fleet/summary?hardwareId=board-a", srv.adminToken);
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.code()).isEqualTo("unknown_parameter");
            assertThat(srv.http.get("/api/v1/fleet/summary", null).status()).isEqualTo(401);
            assertThat(srv.http.get("/api/v1/fleet/summary", "flt_not-a-token").status()).isEqualTo(401);
        }
    }

    @StoreTest
    void theOverviewCountsTheFleetAndTheDevicePageShowsItsStateAndTimeline(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            b.signIn(srv.adminToken);
            String overview = b.get("/ui").body();
            assertThat(overview).contains("id=\"count-active\">3<").contains("id=\"count-online\">2<")
                    .contains("id=\"count-offline\">1<").contains("id=\"count-below-security\">1<")
                    .contains("id=\"count-behind-root\">1<").contains("1.0 (fw-a-1.0.bin)")
                    .contains("2.0 (fw-a-2.0.bin)").contains("no manifest yet").contains("degraded")
                    .contains("href=\"/ui/devices?status=active&amp;installedVersion=2.0\"");
            assertThat(rows(overview, "by-hardware")).as("active devices by hardware, the never-seen one too")
                    .containsExactly("board-a=2", "board-b=1");
            assertThat(overview).contains("href=\"/ui/devices?status=active&amp;hardwareId=board-b\">board-b</a>");

            String list = b.get("/ui/devices?installedVersion=2.0").body();
            assertThat(list).contains("id=\"match-count\">1<").contains(f.d2().id()).doesNotContain(f.d1().id());
            assertThat(b.get("/ui/devices?connectivity=offline&status=").body()).contains(f.d3().id())
                    .doesNotContain("/ui/devices/" + f.d2().id());

            HttpResponse<String> page = b.get("/ui/devices/" + f.d2().id());
            assertThat(page.statusCode()).isEqualTo(200);
            String enrolled = java.time.Instant.ofEpochMilli(clock.millis()).toString(); // the clock stood still
            assertThat(page.body()).contains("<dt>Enrolled</dt><dd><time datetime=\"" + enrolled + "\">" + enrolled
                    + "</time></dd>");
            assertThat(page.body()).contains("id=\"key-id\">" + f.d2().keyId() + "<")
                    .contains("id=\"installed\">fw-a-2.0.bin<").contains("id=\"security-version\">5<")
                    .contains("id=\"root-version\">0<").contains("id=\"verified-at\"><time datetime=\"20")
                    .contains("seen within 12 minutes")
                    .contains("<p class=\"help\" id=\"retention\">Events are kept 90 days after they are received.</p>");
            String body = page.body();
            assertThat(body.indexOf(">committed<")).isPositive().isLessThan(body.indexOf(">trial boot<"));
            assertThat(body.indexOf(">trial boot<")).isLessThan(body.indexOf(">downloaded<"));
            assertThat(b.get("/ui/devices/" + f.d3().id()).body()).contains("has not sent a verified manifest");
            assertThat(body).contains("id=\"no-refusals\">None reported.<");
            refuses(srv, f.d1());
            String d1Page = b.get("/ui/devices/" + f.d1().id()).body();
            String refusals = d1Page.substring(d1Page.indexOf("id=\"refusals\""), d1Page.indexOf("id=\"timeline\""));
            assertThat(refusals).as("refused updates, newest first, and not a failed download")
                    .doesNotContain("id=\"no-refusals\"").doesNotContain("DOWNLOAD_FAILED")
                    .containsPattern("(?s)<code class=\"reason\">HASH_MISMATCH</code>.*sha256 differs.*"
                            + "<code class=\"reason\">SECURITY_VERSION_TOO_LOW</code>.*securityVersion 0 is below 5");
            assertThat(body).contains("id=\"metadata-frozen\">").doesNotContain(">frozen<");
            ObjectNode frozen = f.d1().manifest(f.d1().id(), "fw-a-1.0.bin").put("trustedRootVersion", 1)
                    .put("metadataFrozenSince", "2026-12-01T10:00:00Z");
            assertThat(f.d1().checkIn(srv.http, f.d1().envelope(frozen), null).status()).isEqualTo(200);
            assertThat(b.get("/ui/devices/" + f.d1().id()).body()).as("the security state shows the freeze")
                    .containsPattern("id=\"metadata-frozen\"><span class=\"badge bad\">frozen</span>\\s+since"
                            + " <time datetime=\"2026-12-01T10:00:00Z\">");

            String releases = b.get("/ui/releases").body();
            assertThat(releases).contains("fw-a-2.0.bin").contains("board-a").contains(repo.targetsKey.keyId())
                    .contains(srv.http.get("/api/v1/releases", srv.adminToken).json().path("items").path(0)
                            .path("sha256").asText());
            byte[] two = "firmware two".getBytes(StandardCharsets.UTF_8);
            String row = row(releases, "fw-a-2.0.bin");
            assertThat(row).as("the release's version, size, hashes and security version")
                    .contains("<td>2.0</td>").contains("<td class=\"num\">" + two.length + "</td>")
                    .contains("sha256 <code>" + hex("SHA-256", two) + "</code>")
                    .containsPattern("sha512 <code>" + hex("SHA-512", two) + "</code></span></td>\\s*"
                            + "<td class=\"num\">5</td>")
                    .doesNotContain("<td>1.0</td>");
            assertThat(row(releases, "fw-a-1.0.bin")).as("security version 0")
                    .containsPattern("</code></span></td>\\s*<td class=\"num\">0</td>");

            String audit = b.get("/ui/audit?action=release.").body();
            assertThat(audit).contains("release.publish").doesNotContain("device.enroll");
            assertThat(b.get("/ui/audit?action=device.enroll").body()).contains("device.enroll")
                    .doesNotContain(">release.publish<");
            assertThat(b.get("/ui/audit?target=" + f.d3().id()).body()).contains(f.d3().id())
                    .doesNotContain(f.d1().id());
            assertThat(b.get("/ui/audit?from=2999-01-01T00:00").body()).contains("No entry matches");
            assertThat(b.get("/ui/audit?actor=release-manager-token").body()).as("filtered by actor name")
                    .contains(">release.publish<").doesNotContain(">token.create<");

            clock.advance(Duration.ofHours(1));
            TestDevice later = srv.device(KeyType.ED25519, "board-c"); // enrolled, and audited, an hour later
            b.signIn(srv.adminToken); // the session idled out meanwhile
            String at = clock.instant().toString();
            assertThat(b.get("/ui/audit?to=" + at).body()).as("to: only entries before it")
                    .contains(">" + f.d3().id() + "</a>").doesNotContain(later.id());
            assertThat(b.get("/ui/audit?from=" + at).body()).as("from: only entries at or after it")
                    .contains(">" + later.id() + "</a>").doesNotContain(f.d3().id());
        }
    }

    @StoreTest
    void theDevicePageShowsInstalledBesideIntendedAndTheTimelineGroupedPerUpdate(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            TestDevice d = f.d1();
            ObjectNode m = d.manifest(d.id(), "fw-a-1.0.bin").put("slot", "b").put("agentVersion", "0.9.3");
            m.putObject("slots").putObject("b").put("target", "fw-a-1.0.bin").put("version", "1.0");
            assertThat(d.checkIn(srv.http, d.envelope(m), null).status()).isEqualTo(200);
            String dep = srv.http.post("/api/v1/deployments", srv.adminToken, Map.of("target", "fw-a-2.0.bin",
                    "deviceId", d.id())).json().path("id").asText();
            List<Map<String, Object>> events = new ArrayList<>();
            String[] first = {"download_started", "downloaded", "verified", "installed", "rebooting", "trial_boot",
                    "rolled_back"};
            String[] retry = {"download_started", "downloaded", "verified", "installed", "rebooting", "trial_boot",
                    "committed"};
            events.add(Map.of("eventId", "x0", "type", "failed", "occurredAt", "2026-12-02T09:59:00Z",
                    "details", Map.of("reason", "METADATA_REFUSED", "detail", "before the update")));
            for (int i = 0; i < first.length; i++) {
                events.add(step("a" + i, first[i], "2026-12-02T10:0" + i + ":00Z", dep, i == 6 ? false : null));
            }
            for (int i = 0; i < retry.length; i++) {
                events.add(step("b" + i, retry[i], "2026-12-02T11:0" + i + ":00Z", dep, i == 6 ? true : null));
            }
            assertThat(srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), Map.of("events", events))
                    .status()).isEqualTo(200);
            b.signIn(srv.adminToken);
            String page = b.get("/ui/devices/" + d.id()).body();

            assertThat(page).as("identity").contains("<dt>Device id</dt><dd><code>" + d.id() + "</code></dd>")
                    .contains("id=\"key-id\">" + d.keyId() + "<").contains("<dt>Hardware</dt><dd>board-a</dd>");
            assertThat(page).as("installed beside intended, row by row")
                    .containsPattern("<td id=\"installed\">fw-a-1.0.bin</td>\\s*<td id=\"intended\">fw-a-2.0.bin</td>")
                    .containsPattern("<td id=\"installed-version\">1.0</td>\\s*<td id=\"intended-version\">2.0</td>")
                    .containsPattern("<td id=\"installed-state\">boot committed, health healthy</td>\\s*"
                            + "<td id=\"intended-state\">\\w+ since <time datetime=\"20")
                    .contains("<td id=\"slot\">b</td>")
                    .contains("<li id=\"slot-a\">a: factory image (never written by the agent)</li>")
                    .contains("<li id=\"slot-b\">b (booted): fw-a-1.0.bin 1.0</li>")
                    .contains("<td id=\"deployment\"><a href=\"/ui/rollouts/" + dep + "\">" + dep + "</a></td>")
                    .contains("id=\"agent-version\">0.9.3<");

            String timeline = page.substring(page.indexOf("id=\"timeline\""));
            String latest = section(timeline, "update-1");
            String earlier = section(timeline, "update-2");
            assertThat(timeline).doesNotContain("id=\"update-3\"");
            assertThat(latest).containsPattern("Update to 2.0\\s*<span class=\"badge ok\">committed</span></h3>")
                    .contains("attempt 2 of 2")
                    .contains("<p class=\"sub\">Deployment <a href=\"/ui/rollouts/" + dep + "\">" + dep + "</a>");
            assertThat(types(latest)).containsExactly("download started", "downloaded", "verified", "installed",
                    "rebooting", "trial boot", "committed");
            assertThat(latest).containsPattern("<span class=\"badge ok\">passed</span>\\s*<span class=\"name\">"
                    + "service</span> <code>SERVICE_UP</code>");
            assertThat(earlier).containsPattern("Update to 2.0\\s*<span class=\"badge bad\">rolled back</span></h3>")
                    .contains("attempt 1 of 2").contains("<time datetime=\"2026-12-02T10:00:00Z\">");
            assertThat(types(earlier)).containsExactly("download started", "downloaded", "verified", "installed",
                    "rebooting", "trial boot", "rolled back");
            assertThat(earlier).containsPattern("<span class=\"badge bad\">failed</span>\\s*<span class=\"name\">"
                    + "service</span> <code>SERVICE_DOWN</code> <span class=\"detail\">exited 3</span>");
            String other = section(timeline, "other-events");
            assertThat(other).contains("<h3 id=\"other-events-title\">Other events</h3>").contains("METADATA_REFUSED");
            assertThat(types(other)).containsExactly("failed");
        }
    }

    @StoreTest
    void aDeviceReportingAnotherDevicesRolloutGetsNoLinkToItAndChangesNothingThere(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            String t = srv.adminToken;
            String own = deploy(srv, "fw-a-2.0.bin", f.d1());
            String theirs = deploy(srv, "fw-a-1.0.bin", f.d2());
            JsonNode before = srv.http.get("/api/v1/rollouts/" + theirs, t).json();
            JsonNode statusBefore = srv.http.get("/api/v1/deployments/" + theirs, t).json().path("status");
            List<Map<String, Object>> events = new ArrayList<>();
            String[] types = {"download_started", "installed", "committed", "failed"};
            for (int i = 0; i < types.length; i++) {
                events.add(step("x" + i, types[i], "2026-12-02T10:0" + i + ":00Z", theirs, null));
            }
            events.add(step("y0", "download_started", "2026-12-02T10:05:00Z", "rol_<b>made</b>up", null));
            events.add(step("z0", "download_started", "2026-12-02T10:06:00Z", own, null));
            assertThat(srv.http.post("/api/v1/device/" + f.d1().id() + "/events", f.d1().token(),
                    Map.of("events", events)).status()).as("stored, as ever").isEqualTo(200);

            JsonNode after = srv.http.get("/api/v1/rollouts/" + theirs, t).json();
            assertThat(after.path("stages")).as("d2's rollout counts").isEqualTo(before.path("stages"));
            assertThat(after.path("failures")).isEqualTo(before.path("failures"));
            assertThat(srv.http.get("/api/v1/deployments/" + theirs, t).json().path("status")).isEqualTo(statusBefore);

            b.signIn(t);
            String page = b.get("/ui/devices/" + f.d1().id()).body();
            String timeline = page.substring(page.indexOf("id=\"timeline\""));
            assertThat(page).as("no link to a rollout d1 is not in").doesNotContain("/ui/rollouts/" + theirs)
                    .doesNotContain("<b>made</b>");
            assertThat(section(timeline, "update-3")).contains("<code>" + theirs + "</code>")
                    .contains("the device is not in it");
            assertThat(section(timeline, "update-2")).contains("<code>rol_&lt;b&gt;made&lt;/b&gt;up</code>");
            assertThat(section(timeline, "update-1")).as("its own deployment is linked")
                    .contains("<a href=\"/ui/rollouts/" + own + "\">" + own + "</a>")
                    .doesNotContain("the device is not in it");
            assertThat(b.get("/ui/rollouts/" + theirs).body()).doesNotContain(f.d1().id());
        }
    }

    /** An event of an update: the agent's details, and a health check on the last step when {@code ok} is given. */
    private static Map<String, Object> step(String id, String type, String at, String deployment, Boolean ok) {
        Map<String, Object> details = new java.util.LinkedHashMap<>(Map.of("deploymentId", deployment,
                "assignmentId", deployment, "version", "2.0", "state", type.toUpperCase()));
        if (ok != null) {
            details.put("checks", List.of(Map.of("name", "service", "ok", ok, "reasonCode",
                    ok ? "SERVICE_UP" : "SERVICE_DOWN", "detail", ok ? "" : "exited 3")));
        }
        return Map.of("eventId", id, "type", type, "occurredAt", at, "details", details);
    }

    /** The HTML of the timeline's section with this id. */
    private static String section(String timeline, String id) {
        int start = timeline.indexOf("<section class=\"update\" id=\"" + id + "\"");
        assertThat(start).as(id).isNotNegative();
        return timeline.substring(start, timeline.indexOf("</section>", start));
    }

    /** The types of the timeline's events in a piece of the page, in page order. */
    private static List<String> types(String html) {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<span class=\"type\">([^<]+)</span>").matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @StoreTest
    void theDeviceListPagesByKeysetWithoutGapsOrRepeats(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            String op = srv.token(srv.adminToken, "operator");
            List<String> created = new ArrayList<>();
            for (int i = 0; i < FleetPages.PAGE_SIZE + 7; i++) {
                JsonNode d = srv.http.post("/api/v1/devices", op, Map.of("publicKey", new TestDevice(KeyType.ED25519)
                        .publicKeyJson(), "hardwareId", "board-p")).json();
                created.add(d.path("id").asText());
            }
            b.signIn(srv.adminToken);
            String first = b.get("/ui/devices?hardwareId=board-p").body();
            assertThat(first).contains("id=\"match-count\">" + created.size() + "<");
            java.util.regex.Matcher next = java.util.regex.Pattern.compile("id=\"next-page\" rel=\"next\" href=\"([^\"]+)\"")
                    .matcher(first);
            assertThat(next.find()).isTrue();
            String second = b.get(next.group(1).replace("&amp;", "&")).body();
            assertThat(second).doesNotContain("id=\"next-page\"").contains("First page");
            List<String> sorted = created.stream().sorted().toList();
            for (int i = 0; i < sorted.size(); i++) {
                String link = "href=\"/ui/devices/" + sorted.get(i) + "\"";
                assertThat(i < FleetPages.PAGE_SIZE ? first : second).as(sorted.get(i)).contains(link);
                assertThat(i < FleetPages.PAGE_SIZE ? second : first).as(sorted.get(i)).doesNotContain(link);
            }
        }
    }

    @StoreTest
    void theDevicePageWarnsWhenTheMetadataTheDeviceTrustsExpiresWithinThirtyDays(TestDatabase db) {
        try (TestServer srv = TestServer.start(db, dir, clock); Browser b = new Browser(srv.server.uri())) {
            Fleet f = fleet(srv);
            java.time.Instant soon = clock.instant().plus(Duration.ofDays(12));
            trusting(srv, f.d1(), clock.instant().plus(Duration.ofDays(200)));
            trusting(srv, f.d2(), soon);
            b.signIn(srv.adminToken);

            assertThat(b.get("/ui/devices/" + f.d1().id()).body()).doesNotContain("id=\"trust-warning\"");
            assertThat(b.get("/ui/devices/" + f.d2().id()).body()).contains("id=\"trust-warning\">Warning: the"
                    + " metadata this device trusts expires " + soon + ", in 12 days");

            clock.advance(Duration.ofDays(13)); // past it, and the device has not taken newer metadata
            b.signIn(srv.adminToken); // the session of 13 days ago has expired
            assertThat(b.get("/ui/devices/" + f.d2().id()).body()).contains("id=\"trust-warning\">Warning: the"
                    + " metadata this device trusts expired at " + soon);
            assertThat(b.get("/ui/devices/" + f.d3().id()).body()).doesNotContain("id=\"trust-warning\"");
        }
    }

    /** d reports two refused updates and a failed download, oldest first. */
    private static void refuses(TestServer srv, TestDevice d) {
        List<Map<String, Object>> events = List.of(
                failed("r1", "2026-12-02T11:00:00Z", "SECURITY_VERSION_TOO_LOW", "securityVersion 0 is below 5"),
                failed("r2", "2026-12-02T11:01:00Z", "DOWNLOAD_FAILED", "connection reset"),
                failed("r3", "2026-12-02T11:02:00Z", "HASH_MISMATCH", "sha256 differs from the signed target"));
        assertThat(srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), Map.of("events", events))
                .status()).isEqualTo(200);
    }

    private static Map<String, Object> failed(String id, String at, String reason, String detail) {
        return Map.of("eventId", id, "type", "failed", "occurredAt", at,
                "details", Map.of("state", "IDLE", "reason", reason, "detail", detail));
    }

    /** A check-in whose manifest says the root and targets the device trusts expire at {@code expires}. */
    private static void trusting(TestServer srv, TestDevice d, java.time.Instant expires) {
        ObjectNode m = d.manifest(d.id(), "fw-a-1.0.bin");
        m.put("trustedMetadataExpires", expires.toString());
        Http.Response r = d.checkIn(srv.http, d.envelope(m), null);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }
}
