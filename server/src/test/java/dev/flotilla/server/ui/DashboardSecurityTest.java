package dev.flotilla.server.ui;

import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's sign-in, session cookie, CSRF, CSP and role rules, over real HTTP. */
class DashboardSecurityTest {
    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock();
    private TestServer srv;
    private Browser browser;

    @BeforeEach
    void start() {
        srv = TestServer.start(BothDatabases.h2(), dir, clock);
        browser = new Browser(srv.server.uri());
    }

    @AfterEach
    void stop() {
        browser.close();
        srv.close();
    }

    @Test
    void signInSetsAStrictHttpOnlySessionCookieAndSignOutEndsTheSession() {
        HttpResponse<String> in = browser.signIn(srv.adminToken);
        assertThat(in.statusCode()).isEqualTo(303);
        assertThat(in.headers().firstValue("Location")).contains("/ui");
        String cookie = Browser.setCookie(in).orElseThrow();
        assertThat(cookie).startsWith("flotilla_session=fls_").contains("; HttpOnly").contains("; SameSite=Strict")
                .contains("; Path=/ui").doesNotContain("Secure").doesNotContain(srv.adminToken);

        HttpResponse<String> overview = browser.get("/ui");
        assertThat(overview.statusCode()).isEqualTo(200);
        assertThat(overview.body()).contains("<h1>Fleet</h1>").contains("Sign out");

        String csrf = browser.csrf("/ui");
        String session = browser.cookie;
        HttpResponse<String> out = browser.post("/ui/logout", Browser.form("_csrf", csrf));
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(Browser.setCookie(out).orElseThrow()).startsWith("flotilla_session=;").contains("Max-Age=0");
        browser.cookie = session; // the old cookie no longer opens anything
        HttpResponse<String> after = browser.get("/ui");
        assertThat(after.statusCode()).isEqualTo(303);
        assertThat(after.headers().firstValue("Location")).contains("/ui/login?ended");
    }

    @Test
    void theCookieIsSecureWhenTheRequestCameOverTls() {
        HttpResponse<String> in = browser.post("/ui/login", Map.of("token", srv.adminToken), "X-Forwarded-Proto", "https");
        assertThat(Browser.setCookie(in).orElseThrow()).contains("; Secure");
    }

    @Test
    void badOrMissingTokensGetTheSignInPageWithAMessage() {
        HttpResponse<String> bad = browser.signIn("flt_not-a-real-token");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.body()).contains("That API token is not valid").contains("<form method=\"post\" action=\"/ui/login\"")
                .doesNotContain("Exception").doesNotContain("at dev.flotilla");
        assertThat(Browser.setCookie(bad)).isEmpty();

        HttpResponse<String> missing = browser.post("/ui/login", Map.of());
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.body()).contains("Paste an operator API token");

        HttpResponse<String> page = browser.get("/ui/devices");
        assertThat(page.statusCode()).isEqualTo(303);
        assertThat(page.headers().firstValue("Location")).contains("/ui/login");
    }

    @Test
    void aSignInFromAnotherOriginIsRefused() {
        HttpResponse<String> r = browser.post("/ui/login", Map.of("token", srv.adminToken),
                "Origin", "https://evil.example");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(Browser.setCookie(r)).isEmpty();
    }

    @Test
    void everyAnswerCarriesAContentSecurityPolicyOfSelfOnly() {
        for (String path : new String[] {"/ui/login", "/ui/assets/app.css", "/ui/assets/htmx.min.js"}) {
            HttpResponse<String> r = browser.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path).contains(Gate.CSP);
            assertThat(r.headers().firstValue("X-Frame-Options")).contains("DENY");
        }
        assertThat(Gate.CSP).contains("script-src 'self'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        browser.signIn(srv.adminToken);
        HttpResponse<String> page = browser.get("/ui");
        assertThat(page.headers().firstValue("Content-Security-Policy")).contains(Gate.CSP);
        assertThat(page.body()).doesNotContain("<script>").doesNotContain(" onclick=").doesNotContain("style=\"");
        assertThat(browser.get("/ui/assets/htmx.min.js").body()).contains("htmx");
    }

    @Test
    void aStateChangeWithoutTheSessionsCsrfTokenIsRefusedAndChangesNothing() {
        String device = srv.device(dev.flotilla.core.crypto.KeyType.ED25519, "board-a").id();
        browser.signIn(srv.token(srv.adminToken, "operator"));
        String path = "/ui/devices/" + device + "/decommission";
        HttpResponse<String> none = browser.post(path, Map.of());
        assertThat(none.statusCode()).isEqualTo(403);
        assertThat(none.body()).contains("CSRF");
        HttpResponse<String> wrong = browser.post(path, Map.of("_csrf", "forged"));
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(srv.http.get("/api/v1/devices/" + device, srv.adminToken).json().path("device").path("status")
                .asText()).isEqualTo("active");

        String csrf = browser.csrf("/ui/devices/" + device);
        HttpResponse<String> header = browser.post(path, Map.of(), "X-CSRF-Token", csrf, "HX-Request", "true");
        assertThat(header.statusCode()).isEqualTo(200);
        assertThat(header.headers().firstValue("HX-Redirect")).contains("/ui/devices/" + device);
        assertThat(srv.http.get("/api/v1/devices/" + device, srv.adminToken).json().path("device").path("status")
                .asText()).isEqualTo("decommissioned");
        assertThat(srv.http.get("/api/v1/audit?order=desc&limit=1", srv.adminToken).json().path("items").path(0)
                .path("action").asText()).isEqualTo("device.decommission");
    }

    @Test
    void whatARoleMayNotDoIsNotOfferedAndIsRefused() {
        String device = srv.device(dev.flotilla.core.crypto.KeyType.ED25519, "board-a").id();
        browser.signIn(srv.token(srv.adminToken, "viewer"));
        HttpResponse<String> page = browser.get("/ui/devices/" + device);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains(device).doesNotContain("Decommission").doesNotContain("/ui/audit");
        HttpResponse<String> audit = browser.get("/ui/audit");
        assertThat(audit.statusCode()).isEqualTo(403);
        assertThat(audit.body()).contains("Your role, viewer, may not do this");
        String csrf = browser.csrf("/ui");
        HttpResponse<String> refused = browser.post("/ui/devices/" + device + "/decommission", Map.of("_csrf", csrf));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(srv.http.get("/api/v1/devices/" + device, srv.adminToken).json().path("device").path("status")
                .asText()).isEqualTo("active");

        Browser admin = new Browser(srv.server.uri());
        admin.signIn(srv.adminToken);
        assertThat(admin.get("/ui").body()).contains("href=\"/ui/audit\"");
        assertThat(admin.get("/ui/devices/" + device).body()).contains("Decommission");
        assertThat(admin.get("/ui/audit").statusCode()).isEqualTo(200);
        admin.close();
    }

    @Test
    void anInventedOrTamperedSessionCookieOpensNothing() {
        browser.signIn(srv.adminToken);
        String real = browser.cookie;
        for (String forged : List.of("flotilla_session=fls_invented", "flotilla_session=" + srv.adminToken,
                real + "x", real.substring(0, real.length() - 1), "flotilla_session=")) {
            browser.cookie = forged;
            HttpResponse<String> page = browser.get("/ui/devices");
            assertThat(page.statusCode()).as(forged).isEqualTo(303);
            assertThat(page.headers().firstValue("Location").orElseThrow()).as(forged).startsWith("/ui/login");
            assertThat(browser.post("/ui/logout", Browser.form("_csrf", "x")).statusCode()).as(forged)
                    .isIn(303, 401, 403);
        }
        browser.cookie = real; // the real session was not ended by any of them
        assertThat(browser.get("/ui/devices").statusCode()).isEqualTo(200);
    }

    @Test
    void anIdleSessionExpiresToTheSignInPage() {
        browser.signIn(srv.adminToken);
        clock.advance(Duration.ofMinutes(29));
        assertThat(browser.get("/ui").statusCode()).isEqualTo(200); // a request restarts the idle time
        clock.advance(Duration.ofMinutes(29));
        assertThat(browser.get("/ui").statusCode()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(31));
        HttpResponse<String> expired = browser.get("/ui/devices");
        assertThat(expired.statusCode()).isEqualTo(303);
        assertThat(expired.headers().firstValue("Location")).contains("/ui/login?ended");
        HttpResponse<String> htmx = browser.get("/ui/devices", "HX-Request", "true");
        assertThat(htmx.statusCode()).isEqualTo(401);
        assertThat(htmx.headers().firstValue("HX-Redirect")).contains("/ui/login?ended");
        assertThat(browser.get("/ui/login?ended").body()).contains("Your session has ended");
    }

    @Test
    void revokingTheTokenEndsItsSessions() {
        String viewer = srv.token(srv.adminToken, "viewer");
        browser.signIn(viewer);
        assertThat(browser.get("/ui").statusCode()).isEqualTo(200);
        String id = null;
        for (var t : srv.http.get("/api/v1/tokens", srv.adminToken).json().path("items")) {
            if (t.path("name").asText().equals("viewer-token")) {
                id = t.path("id").asText();
            }
        }
        assertThat(srv.http.send("DELETE", "/api/v1/tokens/" + id, srv.adminToken, null, Map.of()).status())
                .isEqualTo(200);
        HttpResponse<String> r = browser.get("/ui");
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).contains("/ui/login?revoked");
    }

    @Test
    void unknownThingsGetAnHtmlPageNotAStackTrace() {
        browser.signIn(srv.adminToken);
        HttpResponse<String> missing = browser.get("/ui/devices/dev_nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("device not found").contains("<html");
        HttpResponse<String> noPage = browser.get("/ui/no/such/page");
        assertThat(noPage.statusCode()).isEqualTo(404);
        assertThat(noPage.body()).contains("page /ui/no/such/page not found").contains("<html");
        assertThat(browser.get("/ui/devices").statusCode()).isEqualTo(200); // the pages still win
                HttpResponse<String> badFilter = browser.get("/ui/devices?colour=red");
        assertThat(badFilter.statusCode()).isEqualTo(400);
        assertThat(badFilter.body()).contains("unknown query parameter colour");
        HttpResponse<String> badTime = browser.get("/ui/audit?from=yesterday");
        assertThat(badTime.statusCode()).isEqualTo(400);
        assertThat(badTime.body()).contains("must be a date and time");
    }
}
