package dev.flotilla.cli.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.Table;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

import static dev.flotilla.cli.support.ApiCommand.text;

/**
 * How the rollout commands print the server's answers for people. Stages are numbered from 1 here (the API
 * numbers them from 0).
 */
final class RolloutView {
    /** The funnel's columns always shown, in the device's order through an install, as the API names them. */
    static final List<String> FUNNEL = List.of("pending", "downloading", "downloaded", "installing", "trial",
            "committed", "failed", "rolled_back", "timed_out");
    /** Columns shown only when some stage has such devices. */
    static final List<String> OTHER = List.of("withdrawn", "superseded", "skipped", "reverted");

    private RolloutView() {
    }

    /** E.g. {@code halted, stage 2 of 4}. */
    static String summary(JsonNode r) {
        String s = text(r, "state") + ", stage " + stage(r);
        if (r.path("awaitingApproval").isInt()) {
            s += ", stage " + (r.path("awaitingApproval").asInt() + 1) + " awaits approval";
        }
        return s;
    }

    /** The current stage as {@code k of n} (1-based), or {@code - of n} before the start. */
    /**
     * What an operator action counted (its answer's {@code acted.after} without state, stage, counts and gates),
     * e.g. {@code acknowledged 2, admitted 1}; empty when it counted nothing.
     */
    static String acted(JsonNode acted) {
        List<String> out = new ArrayList<>();
        acted.path("after").properties().forEach(e -> {
            if (!List.of("state", "stage", "counts", "gates").contains(e.getKey()) && e.getValue().isValueNode()) {
                out.add(e.getKey() + " " + e.getValue().asText());
            }
        });
        return String.join(", ", out);
    }

    static String stage(JsonNode r) {
        String k = r.path("stageStartedAt").isTextual() ? String.valueOf(r.path("stage").asInt() + 1) : "-";
        return k + " of " + r.path("stages").size();
    }

    /** A funnel column summed over every stage. */
    static int total(JsonNode r, String column) {
        int n = 0;
        for (JsonNode s : r.path("stages")) {
            n += s.path("funnel").path(column).asInt();
        }
        return n;
    }

    /** Failed, rolled back and timed out devices over every stage. */
    static int failures(JsonNode r) {
        return total(r, "failed") + total(r, "rolled_back") + total(r, "timed_out");
    }

    /** What a preview answers: the selection's size, each stage's size, devices other rollouts hold. */
    static void preview(JsonNode p, JsonNode plan, PrintWriter out) {
        out.println(text(p, "target") + ": " + p.path("selected").asInt() + " device(s) selected"
                + (plan.isMissingNode() ? " (the server's default plan)" : ""));
        Table t = new Table("STAGE", "PLAN", "DEVICES");
        JsonNode sizes = p.path("stageSizes");
        for (int k = 0; k < sizes.size(); k++) {
            t.row(k + 1, plan.isMissingNode() ? "-" : plan.has("ramp") ? ramp(plan.path("ramp"))
                    : spec(plan.path("stages").path(k)), sizes.get(k).asInt());
        }
        t.print(out);
        overlap(p.path("overlap"), out);
    }

    /** After a create: each stage's size for the current selection. */
    static void stageSizes(JsonNode r, PrintWriter out) {
        Table t = new Table("STAGE", "PLAN", "DEVICES");
        for (JsonNode s : r.path("stages")) {
            t.row(s.path("index").asInt() + 1, planned(r, s), s.path("size").asInt());
        }
        t.print(out);
    }

    private static void overlap(JsonNode overlap, PrintWriter out) {
        if (overlap.isObject() && !overlap.isEmpty()) {
            StringJoiner j = new StringJoiner(", ");
            overlap.properties().forEach(e -> j.add(e.getKey() + ": " + e.getValue().asInt()));
            out.println("held by other rollouts (create needs --supersede): " + j);
        }
    }

    /** The plan's entry of a stage of the rollout's view, as {@link #spec} prints it. */
    private static String planned(JsonNode r, JsonNode stage) {
        if (r.path("plan").has("ramp")) {
            return ramp(r.path("plan").path("ramp")) + (r.path("rampRatePerMinute").isNumber()
                    ? ", now " + number(r.path("rampRatePerMinute").asDouble()) + "/min" : "");
        }
        return spec(r.path("plan").path("stages").path(stage.path("index").asInt()));
    }

    /** An exponential ramp as {@code ramp 10/min x2 per 50 notified, max 500/min}. */
    static String ramp(JsonNode ramp) {
        JsonNode c = ramp.path("increaseCriteria");
        String per = c.has("notified") ? c.path("notified").asLong() + " notified" : c.path("succeeded").asLong()
                + " succeeded";
        return "ramp " + ramp.path("baseRatePerMinute").asLong() + "/min x" + number(ramp.path("incrementFactor")
                .asDouble()) + " per " + per + ", max " + ramp.path("maximumPerMinute").asLong() + "/min";
    }

    /** A plan stage as {@code 10%} or {@code 500 devices}, with {@code , approval} when it asks for one. */
    static String spec(JsonNode stage) {
        String s = stage.path("percent").isNumber() ? number(stage.path("percent").asDouble()) + "%"
                : stage.path("count").isNumber() ? stage.path("count").asLong() + " devices" : "-";
        return stage.path("approval").asBoolean() ? s + ", approval" : s;
    }

    /** {@code rollout show}: header, halt, funnel table, gates table, failures. */
    static void status(JsonNode r, PrintWriter out) {
        out.println("rollout " + text(r, "id") + " (" + text(r, "kind") + "): " + text(r, "targetPath"));
        out.println("state:     " + summary(r));
        out.println("selected:  " + r.path("selected").asInt() + " device(s); " + selection(r.path("selection")));
        out.println("created:   " + text(r, "createdAt") + " by " + text(r, "createdBy"));
        out.println("policies:  " + policies(r.path("policies")));
        halt(r.path("halt"), out);
        out.println();
        funnel(r, out);
        gates(r, out);
        JsonNode f = r.path("failures");
        if (failures(r) > 0 && f.isObject()) {
            out.println();
            out.println("failures by reason:           " + counts(f.path("byReason")));
            out.println("failures by hardware:         " + counts(f.path("byHardware")));
            out.println("failures by previous version: " + counts(f.path("byPreviousVersion")));
        }
    }

    private static void halt(JsonNode h, PrintWriter out) {
        if (!h.isObject()) {
            return;
        }
        out.println("HALTED:    " + text(h, "gate") + " " + rate(h.path("observed").asDouble()) + " > max "
                + rate(h.path("threshold").asDouble()) + " over " + h.path("sample").asLong() + " device(s) with a "
                + "verdict (checked from " + h.path("minDevices").asLong() + "), at stage "
                + (h.path("stage").asInt() + 1) + ", " + text(h, "at") + "; " + h.path("withdrawn").asInt()
                + " assignment(s) withdrawn");
        JsonNode rev = h.path("revert");
        if (rev.isObject()) {
            out.println("reverted:  " + rev.path("reverted").asInt() + " device(s) to their previous release; "
                    + rev.path("cannotRevert").size() + " could not be");
            for (JsonNode c : rev.path("cannotRevert")) {
                out.println("           " + text(c, "deviceId") + ": " + text(c, "reason"));
            }
        }
    }

    private static void funnel(JsonNode r, PrintWriter out) {
        List<String> columns = new ArrayList<>(FUNNEL);
        OTHER.stream().filter(c -> total(r, c) > 0).forEach(columns::add);
        List<String> header = new ArrayList<>(List.of("STAGE", "PLAN", "SIZE", "STATUS"));
        columns.forEach(c -> header.add(c.replace('_', ' ').toUpperCase(Locale.ROOT)));
        Table t = new Table(header.toArray(String[]::new));
        for (JsonNode s : r.path("stages")) {
            List<Object> row = new ArrayList<>(List.of(s.path("index").asInt() + 1, planned(r, s), s.path("size").asInt(),
                    text(s, "status")));
            columns.forEach(c -> row.add(s.path("funnel").path(c).asInt()));
            t.row(row.toArray());
        }
        t.print(out);
    }

    private static void gates(JsonNode r, PrintWriter out) {
        JsonNode gates = r.path("gates");
        out.println();
        if (!gates.isArray() || gates.isEmpty()) {
            out.println("gates of stage " + (r.path("stage").asInt() + 1) + ": none");
            return;
        }
        out.println("gates of stage " + (r.path("stage").asInt() + 1) + " (rates over devices with a verdict, "
                + "not counting failures acknowledged by a resume):");
        Table t = new Table("GATE", "OBSERVED", "MAX", "SAMPLE", "CHECKED FROM", "RESULT");
        for (JsonNode g : gates) {
            String result = !g.path("checked").asBoolean() ? "not checked yet"
                    : g.path("holds").asBoolean() ? "holds" : "FAILS";
            t.row(text(g, "gate"), rate(g.path("observed").asDouble()), rate(g.path("max").asDouble()),
                    g.path("sample").asLong(), g.path("minDevices").asLong(), result);
        }
        t.print(out);
    }

    private static String selection(JsonNode s) {
        StringJoiner j = new StringJoiner(", ");
        if (s.path("hardwareId").isTextual()) {
            j.add("hardware " + s.path("hardwareId").asText());
        }
        for (String list : List.of("groups", "tags", "devices")) {
            if (s.path(list).isArray() && !s.path(list).isEmpty()) {
                StringJoiner v = new StringJoiner(",");
                s.path(list).forEach(x -> v.add(x.asText()));
                j.add(list + " " + v);
            }
        }
        JsonNode range = s.path("installedVersion");
        if (range.isObject()) {
            j.add("installed version" + (range.has("atLeast") ? " >= " + text(range, "atLeast") : "")
                    + (range.has("below") ? " < " + text(range, "below") : ""));
        }
        if (s.path("attributes").isObject() && !s.path("attributes").isEmpty()) {
            j.add("attributes " + counts(s.path("attributes")));
        }
        j.add(s.path("mode").asText("dynamic"));
        return j.toString();
    }

    private static String policies(JsonNode p) {
        StringJoiner j = new StringJoiner(", ");
        j.add("install " + p.path("install").asText("soft"));
        j.add("on halt " + p.path("onHalt").asText("pause"));
        j.add("max retries " + p.path("maxRetries").asText("2"));
        if (p.path("retryBackoffSeconds").isNumber()) {
            j.add("retry backoff " + p.path("retryBackoffSeconds").asLong() + " s x"
                    + number(p.path("retryBackoffFactor").asDouble(2)) + " up to "
                    + p.path("retryBackoffMaxSeconds").asLong() + " s");
        }
        if (p.path("maxConcurrentDownloads").isNumber()) {
            j.add("max " + p.path("maxConcurrentDownloads").asLong() + " concurrent downloads");
        }
        JsonNode w = p.path("maintenanceWindow");
        if (w.isObject()) {
            j.add("window '" + text(w, "cron") + "' for " + w.path("durationMinutes").asLong() + " min ("
                    + text(w, "zone") + ")");
        }
        if (p.path("startAt").isTextual()) {
            j.add("starts at " + text(p, "startAt"));
        }
        return j.toString();
    }

    private static String counts(JsonNode map) {
        StringJoiner j = new StringJoiner(" ");
        map.properties().forEach(e -> j.add(e.getKey() + "=" + e.getValue().asText()));
        return j.length() == 0 ? "-" : j.toString();
    }

    /** A rate with up to four decimals, e.g. 0.05 or 0.3333. */
    static String rate(double v) {
        return number(Math.round(v * 10_000) / 10_000.0);
    }

    private static String number(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
