package dev.flotilla.server.ui;

import dev.flotilla.core.testing.RequiredTools;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.FluentWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

/**
 * Debian's Chromium driven headless by Selenium through Debian's chromedriver (never a downloaded one), for
 * the browser tests. Skips the test, saying why, only where Chromium is not installed; under CI (which
 * installs it, see .ci/run) a missing Chromium fails instead.
 */
final class Chromium {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    /** Where screenshots go: the module's target directory (the tests run in it). */
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private Chromium() {
    }

    /**
     * Clicks the element {@code by} finds, finding it again when a live update (server-sent events) replaced
     * it between the find and the click, as it may on any page with a live region.
     */
    static void click(WebDriver browser, By by) {
        new FluentWait<>(browser).withTimeout(Duration.ofSeconds(20)).pollingEvery(Duration.ofMillis(50))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> {
                    d.findElement(by).click();
                    return true;
                });
    }

    /** Starts a headless browser with its profile in {@code profile}, or skips the test without Chromium. */
    static WebDriver start(Path profile) {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        RequiredTools.assumeInstalled(installed, "browser test skipped: Chromium is not installed here"
                + " (apt-get install -y chromium chromium-driver)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        WebDriver browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return browser;
    }

    /** The browser console's Content-Security-Policy complaints so far. */
    static List<String> cspViolations(WebDriver browser) {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage).filter(m -> m.contains("Content Security Policy")).toList();
    }

    /**
     * What keeps the page from being read with a screen reader or used by keyboard, as found in its DOM: not
     * exactly one {@code h1} and one {@code main}, no {@code lang}, a heading level skipped, a form control
     * without a label (a {@code label for}, an enclosing label, {@code aria-label} or {@code aria-labelledby}), a
     * button or link without text or label, an image without {@code alt}. Empty when there is nothing.
     */
    @SuppressWarnings("unchecked")
    static List<String> accessibilityProblems(WebDriver browser) {
        return (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("""
                const problems = [];
                const count = s => document.querySelectorAll(s).length;
                if (count('h1') !== 1) problems.push(count('h1') + ' h1 headings');
                if (count('main') !== 1) problems.push(count('main') + ' main landmarks');
                if (!document.documentElement.lang) problems.push('no lang on html');
                let level = 0;
                document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach(h => {
                  const l = Number(h.tagName[1]);
                  if (l > level + 1) problems.push('heading ' + h.tagName + ' "' + h.textContent.trim() + '" after h' + level);
                  level = l;
                });
                const named = e => (e.getAttribute('aria-label') || '').trim() || e.getAttribute('aria-labelledby');
                document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(e => {
                  const label = (e.id && document.querySelector('label[for="' + CSS.escape(e.id) + '"]')) || e.closest('label');
                  if (!label && !named(e)) problems.push('no label: ' + e.tagName.toLowerCase() + ' ' + (e.name || e.id));
                });
                document.querySelectorAll('button, a[href]').forEach(e => {
                  if (!e.textContent.trim() && !named(e) && !e.querySelector('img[alt]:not([alt=""])'))
                    problems.push('no name: ' + e.tagName.toLowerCase() + ' ' + (e.id || e.getAttribute('href') || ''));
                });
                document.querySelectorAll('img:not([alt])').forEach(e => problems.push('no alt: img ' + e.src));
                return problems;""");
    }

    /**
     * Asserts that the page is no wider than the browser's window (as on a 390 px phone: nothing to scroll
     * sideways but within a scroll region), naming the first elements that stick out when it is.
     */
    static void assertNoHorizontalOverflow(WebDriver browser, String name) {
        org.openqa.selenium.JavascriptExecutor js = (org.openqa.selenium.JavascriptExecutor) browser;
        Number overflow = (Number) js.executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
        org.assertj.core.api.Assertions.assertThat(overflow.intValue())
                .as("horizontal overflow of the page %s, by %s", name, js.executeScript("""
                        return Array.from(document.querySelectorAll('main *')).filter(function (e) {
                          return e.getBoundingClientRect().right > window.innerWidth + 1; })
                        .slice(0, 8).map(function (e) { return e.tagName + '#' + e.id + '.' + e.className + ' '
                          + Math.round(e.getBoundingClientRect().right); }).join(', ');"""))
                .isLessThanOrEqualTo(0);
    }

    /** Saves a screenshot of the page as NAME ({@link #screenshot}) and asserts it has no {@link #accessibilityProblems}. */
    static void checkPage(WebDriver browser, String name) {
        screenshot(browser, name);
        org.assertj.core.api.Assertions.assertThat(accessibilityProblems(browser))
                .as("accessibility of the page %s", name).isEmpty();
    }

    /** Saves a screenshot of the page as {@code target/screenshots/NAME.png}. */
    static void screenshot(WebDriver browser, String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
