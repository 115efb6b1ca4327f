package dev.flotilla.server.ui;

import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser ({@link Chromium}): sign-in, live counts, filters, a device's timeline (live), the
 * audit log filtered, phone width (each of those pages and the sign-in page), keyboard; a screenshot of each page in {@link Chromium#SCREENSHOTS}.
 */
class DashboardBrowserTest {
    @TempDir
    Path dir;
    private TestServer srv;
    private WebDriver browser;

    @BeforeEach
    void start() {
        browser = Chromium.start(dir.resolve("chromium-profile"));
        srv = TestServer.start(BothDatabases.h2(), dir, new MutableClock());
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (srv != null) {
            srv.close();
        }
    }

    @Test
    void anOperatorSignsInSeesLiveCountsFiltersDevicesAndSignsOut() {
        TestDevice reporting = srv.device(KeyType.ED25519, "board-a");
        String device = reporting.id();
        report(reporting, "downloaded", "verified", "committed");
        srv.device(KeyType.ED25519, "board-b");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(15));

        browser.get(srv.server.uri() + "/ui");
        wait.until(ExpectedConditions.urlContains("/ui/login"));
        browser.findElement(By.id("token")).sendKeys("flt_wrong");
        browser.findElement(By.id("sign-in")).click();
        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signin-error"))).getText())
                .contains("That API token is not valid");
        Chromium.checkPage(browser, "sign-in");

        browser.findElement(By.id("token")).sendKeys(srv.adminToken);
        browser.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Fleet"));
        assertThat(browser.findElement(By.id("count-active")).getText()).isEqualTo("2");
        srv.device(KeyType.ED25519, "board-c"); // the overview follows the fleet (server-sent events)
        wait.until(ExpectedConditions.textToBe(By.id("count-active"), "3"));
        Chromium.checkPage(browser, "fleet");

        browser.findElement(By.linkText("Devices")).click();
        wait.until(ExpectedConditions.textToBe(By.id("match-count"), "3"));
        browser.findElement(By.id("q")).sendKeys(device);
        // htmx swaps the results in place (under the self-only CSP) and puts the filter in the address
        wait.until(ExpectedConditions.textToBe(By.id("match-count"), "1"));
        wait.until(ExpectedConditions.urlContains("q=" + device));
        Chromium.checkPage(browser, "devices");
        browser.findElement(By.linkText(device)).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), device));
        assertThat(browser.findElement(By.cssSelector("#update-1 h3")).getText()).as("one heading per update")
                .startsWith("Update to 1.1").endsWith("committed");
        assertThat(browser.findElements(By.cssSelector("#update-1 ol.timeline li .type")))
                .as("the update's steps in the order they happened")
                .extracting(e -> e.getText().toLowerCase()).containsExactly("downloaded", "verified", "committed");
        Chromium.checkPage(browser, "device");
        assertThat(srv.http.post("/api/v1/device/" + device + "/events", reporting.token(), Map.of("events", List.of(
                Map.of("eventId", "next", "type", "download_started", "occurredAt", "2026-12-02T11:00:00Z",
                        "details", Map.of("deploymentId", "dep_next", "version", "1.2"))))).status()).isEqualTo(200);
        wait.until(ExpectedConditions.textMatches(By.cssSelector("#update-1 h3"), // live, without a reload
                java.util.regex.Pattern.compile("^Update to 1\\.2")));
        assertThat(browser.findElement(By.cssSelector("#update-2 h3")).getText()).startsWith("Update to 1.1");
        assertThat((String) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "return document.getElementById('live-announce').textContent;"))
                .as("told to screen readers (a polite live region)").startsWith("Latest update: Update to 1.2");
        // the device is in no rollout of those ids: what it named is shown, never linked
        assertThat(browser.findElements(By.cssSelector("#update-1 a[href*=dep_next], #update-2 a[href*=dep_browser]")))
                .isEmpty();
        assertThat(browser.findElement(By.cssSelector("#update-2 .foreign")).getText())
                .contains("dep_browser").contains("the device is not in it");

        browser.findElement(By.linkText("Audit log")).click();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Audit log"));
        browser.findElement(By.id("target")).sendKeys(device);
        browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
        wait.until(ExpectedConditions.urlContains("target=" + device));
        assertThat(browser.findElements(By.cssSelector("td.action"))).as("only the device's entries")
                .extracting(WebElement::getText).containsExactly("device.enroll");
        Chromium.checkPage(browser, "audit");

        browser.manage().window().setSize(new Dimension(390, 844)); // a phone
        Chromium.assertNoHorizontalOverflow(browser, "audit");
        String audit = browser.getCurrentUrl();
        onPhone("/ui", "Fleet", "fleet");
        onPhone("/ui/devices?q=" + device, "Devices", "devices");
        onPhone("/ui/devices/" + device, "Device " + device, "device");
        browser.get(audit);
        browser.manage().window().setSize(new Dimension(1280, 1000));

        org.openqa.selenium.Cookie session = browser.manage().getCookieNamed("flotilla_session");
        assertThat(session).as("the session cookie").isNotNull();
        browser.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.urlContains("/ui/login"));
        assertThat(browser.findElement(By.id("signin-notice")).getText()).contains("You are signed out");
        browser.get(srv.server.uri() + "/ui/devices");
        wait.until(ExpectedConditions.urlContains("/ui/login"));
        // bad sessions: the ended session's cookie put back, and an invented one, open nothing
        for (String bad : List.of(session.getValue(), "fls_invented")) {
            browser.manage().addCookie(new org.openqa.selenium.Cookie("flotilla_session", bad, "/ui"));
            browser.get(srv.server.uri() + "/ui/devices");
            wait.until(ExpectedConditions.urlContains("/ui/login"));
            assertThat(browser.findElements(By.id("sign-out"))).as(bad).isEmpty();
        }

        assertThat(Chromium.cspViolations(browser)).isEmpty();
    }

    /** Opens {@code path} at the browser's current (phone) width and checks that nothing sticks out sideways. */
    private void onPhone(String path, String heading, String name) {
        browser.get(srv.server.uri() + path);
        new WebDriverWait(browser, Duration.ofSeconds(15))
                .until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), heading));
        Chromium.assertNoHorizontalOverflow(browser, name);
        Chromium.checkPage(browser, name + "-phone");
    }

    /** The device reports events of the given types of one update to 1.1, one a minute, oldest first. */
    private void report(TestDevice d, String... types) {
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            events.add(Map.of("eventId", "e" + i, "type", types[i], "occurredAt", "2026-12-02T10:0" + i + ":00Z",
                    "details", Map.of("deploymentId", "dep_browser", "version", "1.1")));
        }
        assertThat(srv.http.post("/api/v1/device/" + d.id() + "/events", d.token(), Map.of("events", events))
                .status()).isEqualTo(200);
    }

    @Test
    void theSignInPageIsUsableByKeyboardAndLabelled() {
        browser.manage().window().setSize(new Dimension(390, 844)); // a phone
        browser.get(srv.server.uri() + "/ui/login?ended=1");
        new WebDriverWait(browser, Duration.ofSeconds(15)).until(ExpectedConditions.textToBe(By.tagName("h1"),
                "Sign in to Flotilla"));
        assertThat(browser.findElement(By.id("signin-notice")).getText()).contains("Your session has ended");
        Chromium.assertNoHorizontalOverflow(browser, "sign-in");
        Chromium.checkPage(browser, "sign-in-phone");
        browser.manage().window().setSize(new Dimension(1280, 1000));
        browser.get(srv.server.uri() + "/ui/login");
        WebElement token = browser.findElement(By.id("token"));
        assertThat(browser.findElement(By.cssSelector("label[for=token]")).getText()).isEqualTo("Operator API token");
        assertThat(browser.findElements(By.tagName("main"))).hasSize(1);
        browser.switchTo().activeElement().sendKeys(org.openqa.selenium.Keys.TAB); // the skip link first
        assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Skip to content");
        token.sendKeys(srv.adminToken, org.openqa.selenium.Keys.ENTER);
        new WebDriverWait(browser, Duration.ofSeconds(15)).until(ExpectedConditions.textToBe(By.tagName("h1"), "Fleet"));
        assertThat(browser.findElements(By.cssSelector("nav[aria-label=Main] a[aria-current=page]"))).hasSize(1);

        assertThat(Chromium.accessibilityProblems(browser)).isEmpty();
        ((JavascriptExecutor) browser).executeScript("""
                const main = document.querySelector('main');
                main.insertAdjacentHTML('beforeend', '<h4>deep</h4><input name="unlabelled"><button></button>');""");
        assertThat(Chromium.accessibilityProblems(browser)).as("the check finds what a page gets wrong")
                .contains("heading H4 \"deep\" after h2", "no label: input unlabelled", "no name: button ");
    }
}
