package dev.flotilla.server.ui;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rollout in a real browser ({@link Chromium}) against a real server with simulated devices posting events
 * over HTTP: an operator previews and starts a rollout of a bad release from the form, watches it halt live
 * without reloading (numbers, failure breakdown, chart), resumes, pauses and aborts it through the
 * confirmation step; a viewer finds no write button and is refused when posting anyway; a forged CSRF token
 * and forms posted from another site or origin change nothing. A screenshot of each page goes to
 * {@code target/screenshots/}.
 */
class RolloutBrowserTest {
    @TempDir
    Path dir;
    private Fleet fleet;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() {
        browser = Chromium.start(dir.resolve("chromium-profile"));
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        fleet = new Fleet(BothDatabases.h2(), dir);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void anOperatorWatchesABadReleaseHaltLiveThenResumesPausesAndAbortsIt() {
        List<TestDevice> devices = fleet.devices(6, "board-a");
        signIn(fleet.srv.token(fleet.admin, "operator"));
        browser.findElement(By.linkText("Rollouts")).click();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Rollouts"));
        Chromium.checkPage(browser, "rollouts-empty");
        browser.findElement(By.id("new-rollout")).click();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "New rollout"));

        new Select(browser.findElement(By.id("target"))).selectByValue("fw-2.0.bin");
        type("stages", "2, 100%");
        type("soakSeconds", "0");
        type("failureRate", "40");
        type("failureMinDevices", "2");
        browser.findElement(By.id("start")).click();
        browser.findElement(By.id("preview-button")).click(); // htmx: the form comes back with the preview
        wait.until(ExpectedConditions.textToBe(By.id("preview-selected"), "6"));
        assertThat(browser.findElement(By.id("preview-stage-1")).getText()).isEqualTo("2");
        assertThat(browser.findElement(By.id("preview-stage-2")).getText()).isEqualTo("6");
        assertThat(browser.switchTo().activeElement().getAttribute("id")).as("focus on the preview").isEqualTo("preview");
        Chromium.checkPage(browser, "rollout-new-preview");
        browser.findElement(By.id("create")).click();
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "active"));
        String id = browser.getCurrentUrl().replaceAll(".*/ui/rollouts/([^?]+).*", "$1");
        Chromium.checkPage(browser, "rollout-active");

        // the bad release: one device of the first stage fails, one commits; the page follows without a reload
        js("window.flotillaNoReload = true;");
        List<TestDevice> first = fleet.assigned(devices, id);
        assertThat(first).hasSize(2);
        // a keyboard user on an action keeps the focus there while the live block is replaced under it
        js("document.getElementById('action-pause').focus(); document.getElementById('rollout-state').dataset.old = 1;");
        fleet.report(first.get(0), id, "download_started", Map.of());
        wait.until(d -> js("return !document.getElementById('rollout-state').dataset.old;"));
        assertThat(js("return document.activeElement.id;")).as("the focus after a live update").isEqualTo("action-pause");
        fleet.report(first.get(0), id, "failed", Map.of("reason", "E_BAD_IMAGE"));
        fleet.commit(first.get(1), id);
        fleet.tick(id, Duration.ofSeconds(2));
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "halted"));
        assertThat(js("return window.flotillaNoReload === true;")).as("the page was not reloaded").isEqualTo(true);
        assertThat(js("return document.getElementById('live-announce').textContent;"))
                .as("told to screen readers (a polite live region)").isEqualTo("Rollout state: halted");
        assertThat(browser.findElement(By.id("halt-reason")).getText()).contains("failureRate")
                .contains("50.0%").contains("40.0%").contains("over 2 devices");
        assertThat(browser.findElement(By.id("by-reason")).getText()).contains("E_BAD_IMAGE");
        wait.until(d -> js("var u = document.querySelectorAll('#chart .u-legend .u-series');"
                + " return !!document.querySelector('#chart canvas') && u.length === 6;"));
        browser.manage().window().setSize(new Dimension(1280, 2000)); // the whole page, chart included
        Chromium.checkPage(browser, "rollout-halted");
        browser.manage().window().setSize(new Dimension(1280, 1000));

        act("resume", "Resume this rollout?");
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "active"));
        act("pause", "Pause this rollout?");
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "paused"));
        Chromium.click(browser, By.id("action-abort"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm-title")));
        Chromium.checkPage(browser, "rollout-confirm-abort");
        browser.findElement(By.id("confirm-action")).click();
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "aborted"));
        assertThat(browser.findElements(By.cssSelector("[id^=action-]"))).isEmpty();
        assertThat(fleet.audit("rollout.resume")).hasSize(1);
        assertThat(fleet.audit("rollout.pause")).hasSize(1);
        assertThat(fleet.audit("rollout.abort")).singleElement()
                .satisfies(e -> assertThat(e.path("actorName").asText()).isEqualTo("operator-token"));
        Chromium.checkPage(browser, "rollout-aborted");

        browser.manage().window().setSize(new Dimension(390, 844)); // a phone
        browser.navigate().refresh();
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "aborted"));
        Chromium.assertNoHorizontalOverflow(browser, "rollout");
        Chromium.checkPage(browser, "rollout-phone");
        browser.get(fleet.srv.server.uri() + "/ui/releases"); // long hashes: they scroll in their region
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Releases"));
        Chromium.assertNoHorizontalOverflow(browser, "releases");
        Chromium.checkPage(browser, "releases-phone");
        onPhone("/ui/rollouts", "Rollouts", "rollouts");
        onPhone("/ui/rollouts/new", "New rollout", "rollout-new");
        browser.get(fleet.srv.server.uri() + "/ui/releases");
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Releases"));
        browser.manage().window().setSize(new Dimension(1280, 1000));

        browser.navigate().refresh();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Releases"));
        assertThat(browser.findElement(By.linkText(id)).isDisplayed()).isTrue();
        Chromium.checkPage(browser, "releases");
        assertThat(Chromium.cspViolations(browser)).isEmpty();
    }

    @Test
    void anOperatorChoosesARampSeesItsFieldsAndRatesAndIsToldWhichFieldIsWrong() {
        fleet.devices(3, "board-a");
        signIn(fleet.srv.token(fleet.admin, "operator"));
        browser.get(fleet.srv.server.uri() + "/ui/rollouts/new");
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "New rollout"));
        assertThat(browser.findElement(By.id("stages")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("rampBaseRatePerMinute")).isDisplayed()).as("a stages plan by default")
                .isFalse();

        browser.findElement(By.id("planType-ramp")).click();
        assertThat(browser.findElement(By.id("stages")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("rampBaseRatePerMinute")).isDisplayed()).isTrue();
        new Select(browser.findElement(By.id("target"))).selectByValue("fw-2.0.bin");
        type("rampBaseRatePerMinute", "1");
        type("rampIncrementFactor", "9");
        type("rampIncreaseEvery", "2");
        browser.findElement(By.id("preview-button")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("rampIncrementFactor-error")));
        assertThat(browser.findElement(By.id("rampIncrementFactor-error")).getText())
                .startsWith("plan.ramp.incrementFactor must be a number from 1.1 to 5");
        assertThat(browser.switchTo().activeElement().getAttribute("id")).as("focus on the wrong field")
                .isEqualTo("rampIncrementFactor");
        assertThat(browser.findElement(By.id("planType-ramp")).isSelected()).as("the choice kept").isTrue();
        Chromium.checkPage(browser, "rollout-new-ramp-error");

        type("rampIncrementFactor", "2");
        browser.findElement(By.id("preview-button")).click();
        wait.until(ExpectedConditions.textToBe(By.id("preview-selected"), "3"));
        assertThat(browser.findElement(By.id("preview-rate-1")).getText()).isEqualTo("1");
        assertThat(browser.findElement(By.id("preview-rate-2")).getText()).isEqualTo("2");
        Chromium.checkPage(browser, "rollout-new-ramp-preview");
        browser.findElement(By.id("create")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("ramp")));
        assertThat(browser.findElement(By.id("ramp")).getText()).contains("Exponential ramp")
                .contains("after each 2 admitted");
        assertThat(Chromium.cspViolations(browser)).isEmpty();
    }

    @Test
    void aViewerFindsNoWriteButtonsAndIsRefusedWhenPostingAnyway() {
        fleet.devices(2, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of())).path("id").asText();
        signIn(fleet.srv.token(fleet.admin, "viewer"));
        browser.get(fleet.srv.server.uri() + "/ui/rollouts");
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Rollouts"));
        assertThat(browser.findElements(By.id("new-rollout"))).isEmpty();
        browser.findElement(By.linkText(id)).click();
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "active"));
        assertThat(browser.findElements(By.cssSelector("[id^=action-]"))).isEmpty();
        assertThat(browser.findElements(By.tagName("button"))).extracting(e -> e.getAttribute("id"))
                .containsExactly("sign-out");
        Chromium.checkPage(browser, "rollout-viewer");

        Object status = ((JavascriptExecutor) browser).executeAsyncScript("""
                var done = arguments[arguments.length - 1];
                var csrf = document.querySelector('input[name=_csrf]').value;
                fetch('/ui/rollouts/%s/abort', {method: 'POST', headers: {'Content-Type':
                    'application/x-www-form-urlencoded'}, body: '_csrf=' + encodeURIComponent(csrf)})
                  .then(function (r) { done(r.status); });""".formatted(id));
        assertThat(((Number) status).intValue()).isEqualTo(403);
        assertThat(fleet.get(id).path("state").asText()).isEqualTo("active");
    }

    @Test
    void aForgedCsrfTokenAndAPostFromAnotherSiteOrOriginChangeNothing() throws Exception {
        fleet.devices(2, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of())).path("id").asText();
        signIn(fleet.srv.token(fleet.admin, "operator"));
        URI dashboard = fleet.srv.server.uri();
        String abort = dashboard + "/ui/rollouts/" + id + "/abort";

        browser.get(dashboard + "/ui/rollouts/" + id + "/confirm/abort");
        wait.until(ExpectedConditions.textToBe(By.id("confirm-title"), "Abort this rollout?"));
        String csrf = browser.findElement(By.cssSelector("#confirm input[name=_csrf]")).getAttribute("value");
        js("document.querySelector('#confirm input[name=_csrf]').value = 'forged';");
        browser.findElement(By.id("confirm-action")).click();
        wait.until(d -> !d.getCurrentUrl().contains("/confirm/"));
        assertUntouched(id, "a forged CSRF token");
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Request refused"));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("nothing was changed");

        // another site (localhost against 127.0.0.1, or the reverse): the SameSite=Strict cookie stays home, so
        // even the session's own CSRF token, had it leaked, opens nothing; the post lands on the sign-in page
        String otherSite = dashboard.getHost().equals("localhost") ? "127.0.0.1" : "localhost";
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/leaked", page(abort, csrf));
        other.createContext("/guessed", page(abort, "guessed"));
        other.start();
        try {
            int port = other.getAddress().getPort();
            browser.get("http://" + otherSite + ":" + port + "/leaked");
            wait.until(d -> d.getCurrentUrl().startsWith(dashboard.toString()));
            assertUntouched(id, "a form posted from another site");
            wait.until(ExpectedConditions.urlToBe(dashboard + "/ui/login"));

            // another origin of the same site (another port): the cookie goes along, the CSRF token refuses it
            browser.get("http://" + dashboard.getHost() + ":" + port + "/guessed");
            wait.until(d -> d.getCurrentUrl().startsWith(dashboard.toString()));
            assertUntouched(id, "a form posted from another origin of the same site");
            wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Request refused"));
            assertThat(browser.getCurrentUrl()).isEqualTo(abort);
        } finally {
            other.stop(0);
        }
        browser.get(dashboard + "/ui/rollouts/" + id);
        wait.until(ExpectedConditions.textToBe(By.id("rollout-state"), "active")); // still signed in
        assertThat(Chromium.cspViolations(browser)).isEmpty();
    }

    /** A page that posts a form with this CSRF token to {@code action} as soon as it loads. */
    private static HttpHandler page(String action, String csrf) {
        byte[] html = ("<!doctype html><html lang=\"en\"><title>Win a prize</title><form id=\"f\" method=\"post\""
                + " action=\"" + action + "\"><input type=\"hidden\" name=\"_csrf\" value=\"" + csrf + "\"></form>"
                + "<script>document.getElementById('f').submit();</script></html>").getBytes(StandardCharsets.UTF_8);
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, html.length);
            try (var body = exchange.getResponseBody()) {
                body.write(html);
            }
        };
    }

    private void assertUntouched(String id, String what) {
        assertThat(fleet.get(id).path("state").asText()).as(what).isEqualTo("active");
        assertThat(fleet.audit("rollout.abort")).as(what).isEmpty();
    }

    /** Opens {@code path} at the browser's current (phone) width and checks that nothing sticks out sideways. */
    private void onPhone(String path, String heading, String name) {
        browser.get(fleet.srv.server.uri() + path);
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), heading));
        Chromium.assertNoHorizontalOverflow(browser, name);
        Chromium.checkPage(browser, name + "-phone");
    }

    private void signIn(String token) {
        browser.get(fleet.srv.server.uri() + "/ui/login");
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.textToBe(By.tagName("h1"), "Fleet"));
    }

    /** Opens the confirmation step of {@code action} in place and confirms it. */
    private void act(String action, String question) {
        Chromium.click(browser, By.id("action-" + action));
        wait.until(ExpectedConditions.textToBe(By.id("confirm-title"), question));
        assertThat(browser.switchTo().activeElement().getAttribute("id")).as("focus on the step").isEqualTo("confirm");
        browser.findElement(By.id("confirm-action")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("notice")));
    }

    private void type(String field, String value) {
        browser.findElement(By.id(field)).clear();
        browser.findElement(By.id(field)).sendKeys(value);
    }

    private Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }
}
