package dev.flotilla.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.rollouts.Fleet;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollout pages over real HTTP with simulated devices, H2 and PostgreSQL: the create form and its preview
 * checked by the API's own rules, the live page's numbers, the actions behind their confirmation step (audited
 * as the API's), and what a viewer may not do.
 */
class RolloutPagesTest {
    private static final Pattern ROLLOUT = Pattern.compile("/ui/rollouts/(rol_[A-Za-z0-9_-]+)");
    @TempDir
    Path dir;
    private Fleet fleet;
    private Browser browser;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    private void open(TestDatabase db, String token) {
        fleet = new Fleet(db, dir);
        browser = new Browser(fleet.srv.server.uri());
        if (token != null) {
            assertThat(browser.signIn(token).statusCode()).isEqualTo(303);
        }
    }

    private Map<String, String> form(String csrf, String... more) {
        Map<String, String> f = Browser.form("_csrf", csrf, "target", "fw-2.0.bin", "mode", "dynamic",
                "stages", "25%, 100%", "soakSeconds", "0", "timeoutSeconds", "", "failureRate", "40",
                "failureMinDevices", "2", "install", "soft", "onHalt", "pause", "maxRetries", "2");
        for (int i = 0; i + 1 < more.length; i += 2) {
            f.put(more[i], more[i + 1]);
        }
        return f;
    }

    @StoreTest
    void anOperatorPreviewsCreatesAndStartsARolloutFromTheForm(TestDatabase db) {
        open(db, null);
        fleet.devices(4, "board-a");
        browser.signIn(fleet.srv.token(fleet.admin, "operator"));
        String csrf = browser.csrf("/ui/rollouts/new");
        assertThat(browser.get("/ui/rollouts/new").body()).contains("<option value=\"fw-2.0.bin\"")
                .contains("<label for=\"stages\">Stages</label>");

        HttpResponse<String> preview = browser.post("/ui/rollouts/preview", form(csrf), "HX-Request", "true");
        assertThat(preview.statusCode()).isEqualTo(200);
        assertThat(preview.body()).contains("<span id=\"preview-selected\">4</span>")
                .contains("id=\"preview-stage-1\">1<").contains("id=\"preview-stage-2\">4<")
                .contains("value=\"25%, 100%\""); // the form keeps what was typed
        assertThat(fleet.srv.http.get("/api/v1/rollouts", fleet.admin).json().path("items")).isEmpty();

        assertThat(browser.get("/ui/rollouts/new").body()).contains("id=\"retryBackoffSeconds\"")
                .contains("value=\"300\""); // the default first wait
        HttpResponse<String> created = browser.post("/ui/rollouts", form(csrf, "start", "on",
                "retryBackoffSeconds", "60", "retryBackoffFactor", "1.5", "retryBackoffMaxSeconds", "600"));
        assertThat(created.statusCode()).isEqualTo(303);
        String id = id(created.headers().firstValue("Location").orElseThrow());
        JsonNode api = fleet.get(id);
        assertThat(api.path("state").asText()).isEqualTo("active");
        assertThat(api.path("policies").path("retryBackoffSeconds").asLong()).isEqualTo(60);
        assertThat(api.path("policies").path("retryBackoffFactor").asDouble()).isEqualTo(1.5);
        assertThat(api.path("policies").path("retryBackoffMaxSeconds").asLong()).isEqualTo(600);
        assertThat(api.path("plan").path("gates").path("failureRate").path("max").asDouble()).isEqualTo(0.4);
        assertThat(fleet.audit("rollout.create")).singleElement().satisfies(e ->
                assertThat(e.path("actorName").asText()).isEqualTo("operator-token"));

        String page = browser.get("/ui/rollouts/" + id + "?done=create").body();
        assertThat(page).contains("Rollout created.").contains("id=\"rollout-state\">active<")
                .contains("data-live=\"/ui/rollouts/" + id + "/live\"").contains("id=\"gate-failureRate\"")
                .contains("id=\"stage-1\"").contains("id=\"action-pause\"").contains("id=\"action-abort\"")
                .doesNotContain("id=\"action-resume\"");
        assertThat(gate(page, "failureRate")).as("no device has a verdict yet")
                .isEqualTo("failureRate | 0.0% | at most 40.0% | 0 of 2 needed | not checked yet");
        assertThat(browser.get("/ui/rollouts").body()).contains("href=\"/ui/rollouts/" + id + "\"")
                .contains("state-active");
        assertThat(browser.get("/ui/releases").body()).contains("href=\"/ui/rollouts/" + id + "\"");
    }

    /** A ramp plan: 1 device a minute, doubled after each 2 admitted, at most 3 a minute. */
    private Map<String, String> ramp(String csrf, String... more) {
        Map<String, String> f = form(csrf, "planType", "ramp", "stages", "not read for a ramp",
                "rampBaseRatePerMinute", "1", "rampIncrementFactor", "2", "rampIncreaseOn", "notified",
                "rampIncreaseEvery", "2", "rampMaximumPerMinute", "3");
        for (int i = 0; i + 1 < more.length; i += 2) {
            f.put(more[i], more[i + 1]);
        }
        return f;
    }

    @StoreTest
    void anOperatorPreviewsAndCreatesAnExponentialRampFromTheForm(TestDatabase db) {
        open(db, null);
        fleet.devices(5, "board-a");
        browser.signIn(fleet.srv.token(fleet.admin, "operator"));
        String csrf = browser.csrf("/ui/rollouts/new");
        assertThat(browser.get("/ui/rollouts/new").body())
                .contains("<input type=\"radio\" id=\"planType-stages\" name=\"planType\" value=\"stages\" checked>")
                .contains("<label for=\"rampBaseRatePerMinute\">").contains("<label for=\"rampIncreaseOn\">");

        HttpResponse<String> preview = browser.post("/ui/rollouts/preview", ramp(csrf), "HX-Request", "true");
        assertThat(preview.statusCode()).isEqualTo(200);
        String shown = text(preview.body());
        assertThat(shown).contains("<span id=\"preview-selected\">5</span>")
                .contains("<th scope=\"row\">1 to 2</th><td class=\"num\" id=\"preview-rate-1\">1</td>")
                .contains("<th scope=\"row\">3 to 4</th><td class=\"num\" id=\"preview-rate-2\">2</td>")
                .contains("<th scope=\"row\">5</th><td class=\"num\" id=\"preview-rate-3\">3</td>")
                .contains("takes about <span id=\"preview-ramp-fast\">4</span> minutes") // 2/1 + 2/2 + 1/3
                .contains("(<span id=\"preview-ramp-slow\">5</span> at the first rate throughout)")
                .doesNotContain("id=\"preview-stage-1\"")
                .contains("<input type=\"radio\" id=\"planType-ramp\" name=\"planType\" value=\"ramp\" checked>");
        String onCommits = text(browser.post("/ui/rollouts/preview", ramp(csrf, "rampIncreaseOn", "succeeded"))
                .body());
        assertThat(onCommits).contains("<th scope=\"col\">Once committed</th>")
                .contains("<th scope=\"row\">2</th><td class=\"num\" id=\"preview-rate-2\">2</td>")
                .contains("about <span id=\"preview-ramp-fast\">4</span> minutes if each commits as soon as it is"
                        + " admitted, and up to <span id=\"preview-ramp-slow\">5</span> if none does");
        assertThat(fleet.srv.http.get("/api/v1/rollouts", fleet.admin).json().path("items")).isEmpty();

        HttpResponse<String> created = browser.post("/ui/rollouts", ramp(csrf, "rampIncreaseOn", "succeeded"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(303);
        String id = id(created.headers().firstValue("Location").orElseThrow());
        JsonNode plan = fleet.get(id).path("plan");
        assertThat(plan.has("stages")).isFalse();
        assertThat(plan.path("ramp").path("baseRatePerMinute").asLong()).isEqualTo(1);
        assertThat(plan.path("ramp").path("incrementFactor").asDouble()).isEqualTo(2.0);
        assertThat(plan.path("ramp").path("increaseCriteria").path("succeeded").asLong()).isEqualTo(2);
        assertThat(plan.path("ramp").path("increaseCriteria").has("notified")).isFalse();
        assertThat(plan.path("ramp").path("maximumPerMinute").asLong()).isEqualTo(3);
        assertThat(plan.path("gates").path("failureRate").path("max").asDouble()).isEqualTo(0.4);
        assertThat(text(browser.get("/ui/rollouts/" + id).body())).contains("<span id=\"ramp\">Exponential ramp:")
                .contains("from 1 a minute, ×2.0 after each 2 committed, at most 3");
    }

    @StoreTest
    void rampErrorsNameTheirFieldAndCreateNothing(TestDatabase db) {
        open(db, null);
        fleet.devices(2, "board-a");
        browser.signIn(fleet.admin);
        String csrf = browser.csrf("/ui/rollouts/new");

        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampBaseRatePerMinute", "")), 400,
                "rampBaseRatePerMinute", "plan.ramp.baseRatePerMinute is required");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampBaseRatePerMinute", "0")), 400,
                "rampBaseRatePerMinute", "plan.ramp.baseRatePerMinute must be an integer from 1 to 100000");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampBaseRatePerMinute", "ten")), 400,
                "rampBaseRatePerMinute", "Write a whole number; got 'ten'");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampIncrementFactor", "9")), 400,
                "rampIncrementFactor", "plan.ramp.incrementFactor must be a number from 1.1 to 5");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampIncrementFactor", "double")), 400,
                "rampIncrementFactor", "Write a number");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampIncreaseEvery", "")), 400,
                "rampIncreaseEvery", "plan.ramp.increaseCriteria is required");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampIncreaseEvery", "0")), 400,
                "rampIncreaseEvery", "plan.ramp.increaseCriteria.notified must be an integer");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampIncreaseOn", "sometimes")), 400,
                "rampIncreaseOn", "got 'sometimes'");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "rampMaximumPerMinute", "0.5")), 400,
                "rampMaximumPerMinute", "Write a whole number");
        // the preview says the same, inline
        assertFieldError(browser.post("/ui/rollouts/preview", ramp(csrf, "rampBaseRatePerMinute", "5",
                "rampMaximumPerMinute", "4")), 200, "rampMaximumPerMinute",
                "plan.ramp.maximumPerMinute must be at least baseRatePerMinute (5), got 4");
        assertFieldError(browser.post("/ui/rollouts", ramp(csrf, "planType", "spiral")), 400, "planType",
                "Choose stages or a ramp; got 'spiral'");
        assertThat(fleet.srv.http.get("/api/v1/rollouts", fleet.admin).json().path("items")).isEmpty();
    }

    @StoreTest
    void formErrorsNameTheFieldAndCreateNothing(TestDatabase db) {
        open(db, null);
        fleet.devices(2, "board-a");
        browser.signIn(fleet.admin);
        String csrf = browser.csrf("/ui/rollouts/new");

        assertFieldError(browser.post("/ui/rollouts", form(csrf, "stages", "50%, 10%")), 400, "stages",
                "plan.stages[1]");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "stages", "10%, half")), 400, "stages",
                "Stage 2 is 'half'");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "failureRate", "150")), 400, "failureRate",
                "from 0 to 100");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "hardwareId", "board-z")), 400, "hardwareId",
                "board-z");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "target", "fw-9.bin")), 400, "target",
                "fw-9.bin");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "windowCron", "0 2 * *", "windowMinutes", "60")),
                400, "windowCron", "policies.maintenanceWindow");
        // the preview says the same, inline (200: it answered the question)
        assertFieldError(browser.post("/ui/rollouts/preview", form(csrf, "maxRetries", "-1")), 200, "maxRetries",
                "policies.maxRetries");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "retryBackoffFactor", "fast")), 400,
                "retryBackoffFactor", "Write a number");
        assertFieldError(browser.post("/ui/rollouts", form(csrf, "retryBackoffFactor", "20")), 400,
                "retryBackoffFactor", "policies.retryBackoffFactor");

        fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of()));
        HttpResponse<String> conflict = browser.post("/ui/rollouts", form(csrf));
        assertFieldError(conflict, 409, "supersede", "held by other rollouts");
        assertThat(fleet.srv.http.get("/api/v1/rollouts", fleet.admin).json().path("items")).hasSize(1);
    }

    @StoreTest
    void actionsGoThroughAConfirmationAndAreAuditedAsTheApis(TestDatabase db) {
        open(db, null);
        fleet.devices(2, "board-a");
        String operator = fleet.srv.token(fleet.admin, "operator");
        browser.signIn(operator);
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of())).path("id").asText();

        HttpResponse<String> confirm = browser.get("/ui/rollouts/" + id + "/confirm/pause");
        assertThat(confirm.statusCode()).isEqualTo(200);
        assertThat(confirm.body()).contains("Pause this rollout?").contains("id=\"confirm-action\"")
                .contains("action=\"/ui/rollouts/" + id + "/pause\"");
        assertThat(fleet.get(id).path("state").asText()).as("showing the step changes nothing").isEqualTo("active");
        String csrf = browser.csrf("/ui/rollouts/" + id + "/confirm/pause");

        HttpResponse<String> paused = browser.post("/ui/rollouts/" + id + "/pause", Browser.form("_csrf", csrf));
        assertThat(paused.statusCode()).isEqualTo(303);
        assertThat(paused.headers().firstValue("Location")).contains("/ui/rollouts/" + id + "?done=pause");
        assertThat(fleet.get(id).path("state").asText()).isEqualTo("paused");
        assertThat(fleet.audit("rollout.pause")).singleElement().satisfies(e -> {
            assertThat(e.path("actorName").asText()).isEqualTo("operator-token");
            assertThat(e.path("after").path("state").asText()).isEqualTo("paused");
        });
        assertThat(browser.get("/ui/rollouts/" + id).body()).contains("id=\"action-resume\"")
                .doesNotContain("id=\"action-pause\"");

        HttpResponse<String> notNow = browser.get("/ui/rollouts/" + id + "/confirm/pause");
        assertThat(notNow.statusCode()).isEqualTo(409);
        assertThat(notNow.body()).contains("is paused now").doesNotContain("Exception");
        HttpResponse<String> again = browser.post("/ui/rollouts/" + id + "/pause", Browser.form("_csrf", csrf));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("this action needs it active");
        assertThat(browser.get("/ui/rollouts/" + id + "/confirm/explode").statusCode()).isEqualTo(404);

        HttpResponse<String> forged = browser.post("/ui/rollouts/" + id + "/abort", Browser.form("_csrf", "forged"));
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(fleet.get(id).path("state").asText()).isEqualTo("paused");

        assertThat(browser.post("/ui/rollouts/" + id + "/abort", Browser.form("_csrf", csrf)).statusCode())
                .isEqualTo(303);
        assertThat(fleet.get(id).path("state").asText()).isEqualTo("aborted");
        assertThat(fleet.audit("rollout.abort")).hasSize(1);
        assertThat(browser.get("/ui/rollouts/" + id).body()).doesNotContain("id=\"action-");
    }

    @StoreTest
    void approveAndAdvanceGoThroughTheirConfirmationAndMoveTheStages(TestDatabase db) {
        open(db, null);
        List<TestDevice> devices = fleet.devices(4, "board-a");
        browser.signIn(fleet.srv.token(fleet.admin, "operator"));
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 1}, {'percent': 50, 'approval': true}, {'percent': 100}], 'soakSeconds': 0}")))
                .path("id").asText();
        fleet.assigned(devices, id).forEach(d -> fleet.commit(d, id));
        assertThat(fleet.tick(id, Duration.ofSeconds(5)).path("awaitingApproval").asInt()).isEqualTo(1);
        assertThat(browser.get("/ui/rollouts/" + id).body()).contains("id=\"action-approve\"")
                .contains("id=\"action-advance\"");

        act(id, "approve", "Approve the next stage?");
        assertThat(fleet.get(id).path("stages").get(1).path("approved").asBoolean()).isTrue();
        assertThat(fleet.audit("rollout.approve")).singleElement()
                .satisfies(e -> assertThat(e.path("actorName").asText()).isEqualTo("operator-token"));
        assertThat(fleet.tick(id, Duration.ofSeconds(1)).path("stage").asInt()).isEqualTo(1);
        assertThat(fleet.assigned(devices, id)).as("the second of 50%; the first committed").hasSize(1);
        assertThat(browser.get("/ui/rollouts/" + id).body()).doesNotContain("id=\"action-approve\"");

        act(id, "advance", "Start the next stage now?");
        assertThat(fleet.get(id).path("stage").asInt()).as("the last stage, without its devices committing")
                .isEqualTo(2);
        assertThat(fleet.audit("rollout.advance")).singleElement()
                .satisfies(e -> assertThat(e.path("actorName").asText()).isEqualTo("operator-token"));
        assertThat(browser.get("/ui/rollouts/" + id).body()).doesNotContain("id=\"action-advance\"");
    }

    /** Opens {@code action}'s confirmation step (which changes nothing), then confirms it. */
    private void act(String id, String action, String question) {
        int stage = fleet.get(id).path("stage").asInt();
        HttpResponse<String> confirm = browser.get("/ui/rollouts/" + id + "/confirm/" + action);
        assertThat(confirm.statusCode()).isEqualTo(200);
        assertThat(confirm.body()).contains(question).contains("action=\"/ui/rollouts/" + id + "/" + action + "\"");
        assertThat(fleet.get(id).path("stage").asInt()).as("showing the step changes nothing").isEqualTo(stage);
        String csrf = browser.csrf("/ui/rollouts/" + id + "/confirm/" + action);
        HttpResponse<String> done = browser.post("/ui/rollouts/" + id + "/" + action, Browser.form("_csrf", csrf));
        assertThat(done.statusCode()).isEqualTo(303);
        assertThat(done.headers().firstValue("Location")).contains("/ui/rollouts/" + id + "?done=" + action);
    }

    @StoreTest
    void aViewerSeesNoWriteButtonsAndIsRefusedWhenPostingAnyway(TestDatabase db) {
        open(db, null);
        fleet.devices(2, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of())).path("id").asText();
        browser.signIn(fleet.srv.token(fleet.admin, "viewer"));

        String page = browser.get("/ui/rollouts/" + id).body();
        assertThat(page).contains("id=\"rollout-state\">active<").doesNotContain("id=\"action-")
                .doesNotContain("/confirm/");
        assertThat(browser.get("/ui/rollouts").body()).doesNotContain("id=\"new-rollout\"");
        assertThat(browser.get("/ui/rollouts/new").statusCode()).isEqualTo(403);
        assertThat(browser.get("/ui/rollouts/" + id + "/confirm/abort").statusCode()).isEqualTo(403);

        String csrf = browser.csrf("/ui/rollouts/" + id);
        HttpResponse<String> abort = browser.post("/ui/rollouts/" + id + "/abort", Browser.form("_csrf", csrf));
        assertThat(abort.statusCode()).isEqualTo(403);
        assertThat(abort.body()).contains("operator or higher is required");
        HttpResponse<String> create = browser.post("/ui/rollouts", form(csrf, "supersede", "on"));
        assertThat(create.statusCode()).isEqualTo(403);
        assertThat(fleet.get(id).path("state").asText()).isEqualTo("active");
        assertThat(fleet.srv.http.get("/api/v1/rollouts", fleet.admin).json().path("items")).hasSize(1);
        assertThat(fleet.audit("rollout.abort")).isEmpty();
    }

    @StoreTest
    void thePageShowsTheHaltWithItsNumbersAndTheFailureBreakdown(TestDatabase db) {
        open(db, null);
        List<TestDevice> devices = fleet.devices(6, "board-a");
        browser.signIn(fleet.admin);
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(), "plan", Fleet.plan(
                "{'stages': [{'count': 2}, {'percent': 100}], 'soakSeconds': 0,"
                        + " 'gates': {'failureRate': {'max': 0.4, 'minDevices': 2}}}"))).path("id").asText();
        List<TestDevice> first = fleet.assigned(devices, id);
        fleet.report(first.get(0), id, "failed", Map.of("reason", "E_FLASH"));
        fleet.commit(first.get(1), id);
        assertThat(fleet.tick(id, Duration.ofSeconds(2)).path("state").asText()).isEqualTo("halted");

        String page = text(browser.get("/ui/rollouts/" + id).body());
        assertThat(page).contains("id=\"rollout-state\">halted<").contains("Halted at stage 1")
                .contains("The <strong>failureRate</strong> gate failed: observed <strong>50.0%</strong> against a"
                        + " threshold of 40.0%, over 2 devices with a verdict (at least 2 needed)")
                .contains("id=\"action-resume\"").contains("id=\"action-abort\"");
        assertThat(gate(page, "failureRate")).as("observed, threshold, sample and verdict")
                .isEqualTo("failureRate | 50.0% | at most 40.0% | 2 of 2 needed | fails");
        assertThat(page).containsPattern("<table id=\"by-reason\">.*<td>E_FLASH</td><td class=\"num\">1</td>")
                .containsPattern("<table id=\"by-hardware\">.*<td>board-a</td>")
                .containsPattern("<table id=\"by-previous\">.*<td>1.0.0</td>");
        assertThat(page).contains("data-series=\"[[");
    }

    private static void assertFieldError(HttpResponse<String> r, int status, String field, String says) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        String body = text(r.body());
        assertThat(body).containsPattern("aria-describedby=\"[^\"]*" + field + "-error\"")
                .contains("role=\"alert\" id=\"form-error\"").doesNotContain("Exception");
        Matcher m = Pattern.compile("id=\"" + field + "-error\" class=\"field-error\">([^<]*)<").matcher(body);
        assertThat(m.find()).as(body).isTrue();
        assertThat(m.group(1)).contains(says);
    }

    /** The cells of the gate table's row for {@code gate}, their text joined by {@code " | "}. */
    private static String gate(String page, String gate) {
        int start = page.indexOf("<tr id=\"gate-" + gate + "\">");
        assertThat(start).as(gate).isNotNegative();
        String row = page.substring(start, page.indexOf("</tr>", start));
        return java.util.Arrays.stream(row.split("</t[hd]>")).map(c -> c.replaceAll("<[^>]+>", "").strip())
                .filter(c -> !c.isEmpty()).collect(java.util.stream.Collectors.joining(" | "));
    }

    /** The page with HTML's escapes undone and runs of white space as one space. */
    private static String text(String html) {
        return html.replace("&#39;", "'").replace("&#34;", "\"").replace("&quot;", "\"").replace("&lt;", "<")
                .replace("&gt;", ">").replace("&amp;", "&").replaceAll("\\s+", " ");
    }

    private static String id(String location) {
        Matcher m = ROLLOUT.matcher(location);
        assertThat(m.find()).as(location).isTrue();
        return m.group(1);
    }
}
