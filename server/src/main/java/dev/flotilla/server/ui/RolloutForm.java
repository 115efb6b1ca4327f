package dev.flotilla.server.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.rollouts.RolloutRequest;
import io.javalin.http.Context;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The create-rollout form: its fields as typed, and their translation into the API's request
 * ({@link RolloutRequest#parse}), so that the form is checked by the same rules as {@code POST /api/v1/rollouts}.
 * A field the form itself cannot read (a stage that is neither a percent nor a count, a rate outside 0 to
 * 100 %) is refused here, naming it; the service's own refusals name a request path
 * ({@code plan.stages[1].percent ...}), which {@link #fieldOf} maps back to the form field.
 */
final class RolloutForm {
    /** The {@code planType} of a plan in stages. */
    static final String STAGES = "stages";
    /** The {@code planType} of an exponential ramp. */
    static final String RAMP = "ramp";
    /** The form's fields, in page order. */
    static final List<String> FIELDS = List.of("target", "hardwareId", "groups", "tags", "devices", "versionAtLeast",
            "versionBelow", "attributes", "mode", "planType", "stages", "approval", "rampBaseRatePerMinute",
            "rampIncrementFactor", "rampIncreaseOn", "rampIncreaseEvery", "rampMaximumPerMinute", "soakSeconds",
            "timeoutSeconds", "failureRate",
            "failureMinDevices", "rollbackRate", "rollbackMinDevices", "timeoutRate", "timeoutMinDevices", "install",
            "maxConcurrentDownloads", "windowCron", "windowMinutes", "windowZone", "startAt", "onHalt", "maxRetries",
            "retryBackoffSeconds", "retryBackoffFactor", "retryBackoffMaxSeconds", "supersede", "start");
    /** What a new form holds: the default plan and policies as the API has them. */
    static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("mode", "dynamic"),
            Map.entry("planType", STAGES), Map.entry("stages", "1%, 10%, 50%, 100%"),
            Map.entry("rampIncreaseOn", "notified"), Map.entry("soakSeconds", "3600"),
            Map.entry("timeoutSeconds", "86400"), Map.entry("failureRate", "5"), Map.entry("failureMinDevices", "1"),
            Map.entry("install", "soft"), Map.entry("onHalt", "pause"), Map.entry("maxRetries", "2"),
            Map.entry("retryBackoffSeconds", "300"), Map.entry("retryBackoffFactor", "2"));
    /** Request paths of the service's errors to form fields, most specific first. */
    private static final Map<String, String> PATHS = paths();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A field the form refused, naming it. */
    static final class Refused extends RuntimeException {
        final String field;

        Refused(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }
    }

    private final Map<String, String> values;

    private RolloutForm(Map<String, String> values) {
        this.values = values;
    }

    static RolloutForm empty() {
        return new RolloutForm(new LinkedHashMap<>(DEFAULTS));
    }

    static RolloutForm from(Context ctx) {
        Map<String, String> v = new LinkedHashMap<>();
        for (String f : FIELDS) {
            String value = ctx.formParam(f);
            v.put(f, value == null ? "" : value.trim());
        }
        return new RolloutForm(v);
    }

    /** The field's value as typed ("" when empty). */
    public String value(String field) {
        return values.getOrDefault(field, "");
    }

    public boolean checked(String field) {
        return "on".equals(value(field)) || "true".equals(value(field));
    }

    /**
     * The API request this form asks for.
     *
     * @throws Refused             a field the form cannot read
     * @throws DomainError.Invalid the service's refusal (see {@link #fieldOf})
     */
    RolloutRequest request() {
        ObjectNode r = JSON.createObjectNode();
        put(r, "target", value("target"));
        r.set("selection", selection());
        r.set("plan", plan());
        r.set("policies", policies());
        r.put("supersede", checked("supersede"));
        r.put("start", checked("start"));
        return RolloutRequest.parse(r);
    }

    private ObjectNode selection() {
        ObjectNode s = JSON.createObjectNode();
        put(s, "hardwareId", value("hardwareId"));
        list(s, "groups", value("groups"));
        list(s, "tags", value("tags"));
        list(s, "devices", value("devices"));
        if (!value("versionAtLeast").isEmpty() || !value("versionBelow").isEmpty()) {
            ObjectNode range = s.putObject("installedVersion");
            put(range, "atLeast", value("versionAtLeast"));
            put(range, "below", value("versionBelow"));
        }
        if (!value("attributes").isEmpty()) {
            ObjectNode a = s.putObject("attributes");
            for (String pair : value("attributes").split("[,\\n]")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new Refused("attributes", "Write each attribute as name=value, separated by commas; got '"
                            + pair.trim() + "'.");
                }
                a.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        put(s, "mode", value("mode"));
        return s;
    }

    /** Whether the form asks for an exponential ramp rather than stages. */
    public boolean ramp() {
        return RAMP.equals(value("planType"));
    }

    /** The plan: stages or a ramp (the other kind's fields are not read), then what applies to either. */
    private ObjectNode plan() {
        ObjectNode p = JSON.createObjectNode();
        switch (value("planType")) {
            case STAGES, "" -> stages(p);
            case RAMP -> p.set("ramp", rampJson());
            default -> throw new Refused("planType", "Choose stages or a ramp; got '" + value("planType") + "'.");
        }
        integer(p, "soakSeconds", "soakSeconds");
        integer(p, "timeoutSeconds", "timeoutSeconds");
        ObjectNode gates = p.putObject("gates");
        gate(gates, "failureRate", "failureRate", "failureMinDevices");
        gate(gates, "rollbackRate", "rollbackRate", "rollbackMinDevices");
        gate(gates, "timeoutRate", "timeoutRate", "timeoutMinDevices");
        return p;
    }

    /** The ramp's JSON; an empty field is left out, for the service to say it is required. */
    private ObjectNode rampJson() {
        ObjectNode r = JSON.createObjectNode();
        integer(r, "baseRatePerMinute", "rampBaseRatePerMinute");
        decimal(r, "incrementFactor", "rampIncrementFactor");
        String on = value("rampIncreaseOn");
        if (!on.equals("notified") && !on.equals("succeeded")) {
            throw new Refused("rampIncreaseOn", "Choose whether the rate grows on devices admitted (notified) or"
                    + " committed (succeeded); got '" + on + "'.");
        }
        if (!value("rampIncreaseEvery").isEmpty()) {
            integer(r.putObject("increaseCriteria"), on, "rampIncreaseEvery");
        }
        integer(r, "maximumPerMinute", "rampMaximumPerMinute");
        return r;
    }

    private void stages(ObjectNode p) {
        ArrayNode stages = p.putArray("stages");
        List<Integer> approval = numbers("approval");
        String[] parts = value("stages").isEmpty() ? new String[0] : value("stages").split(",");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].trim();
            ObjectNode stage = stages.addObject();
            try {
                if (part.endsWith("%")) {
                    stage.put("percent", Double.parseDouble(part.substring(0, part.length() - 1).trim()));
                } else {
                    stage.put("count", Long.parseLong(part));
                }
            } catch (NumberFormatException e) {
                throw new Refused("stages", "Stage " + (i + 1) + " is '" + part + "': write a percent such as 10% or a"
                        + " device count such as 25.");
            }
            if (approval.contains(i + 1)) {
                stage.put("approval", true);
            }
        }
        for (int k : approval) {
            if (k < 1 || k > parts.length) {
                throw new Refused("approval", "There is no stage " + k + " (the plan has " + parts.length + ").");
            }
        }
    }

    private ObjectNode policies() {
        ObjectNode p = JSON.createObjectNode();
        put(p, "install", value("install"));
        integer(p, "maxConcurrentDownloads", "maxConcurrentDownloads");
        if (!value("windowCron").isEmpty() || !value("windowMinutes").isEmpty()) {
            ObjectNode w = p.putObject("maintenanceWindow");
            put(w, "cron", value("windowCron"));
            integer(w, "durationMinutes", "windowMinutes");
            put(w, "zone", value("windowZone"));
        }
        if (!value("startAt").isEmpty()) {
            try {
                p.put("startAt", LocalDateTime.parse(value("startAt")).toInstant(ZoneOffset.UTC).toString());
            } catch (DateTimeParseException e) {
                put(p, "startAt", value("startAt")); // perhaps an ISO instant; the service says if not
            }
        }
        put(p, "onHalt", value("onHalt"));
        integer(p, "maxRetries", "maxRetries");
        integer(p, "retryBackoffSeconds", "retryBackoffSeconds");
        decimal(p, "retryBackoffFactor", "retryBackoffFactor");
        integer(p, "retryBackoffMaxSeconds", "retryBackoffMaxSeconds");
        return p;
    }

    private void gate(ObjectNode gates, String name, String rateField, String minField) {
        if (value(rateField).isEmpty()) {
            return;
        }
        double percent;
        try {
            percent = Double.parseDouble(value(rateField));
        } catch (NumberFormatException e) {
            percent = -1;
        }
        if (percent < 0 || percent > 100) {
            throw new Refused(rateField, "Write a rate from 0 to 100 (percent); got '" + value(rateField) + "'.");
        }
        ObjectNode g = gates.putObject(name);
        g.put("max", percent / 100);
        integer(g, "minDevices", minField);
    }

    private void integer(ObjectNode node, String name, String field) {
        if (value(field).isEmpty()) {
            return;
        }
        try {
            node.put(name, Long.parseLong(value(field)));
        } catch (NumberFormatException e) {
            throw new Refused(field, "Write a whole number; got '" + value(field) + "'.");
        }
    }

    private void decimal(ObjectNode node, String name, String field) {
        if (value(field).isEmpty()) {
            return;
        }
        try {
            node.put(name, Double.parseDouble(value(field)));
        } catch (NumberFormatException e) {
            throw new Refused(field, "Write a number such as 2 or 1.5; got '" + value(field) + "'.");
        }
    }

    private List<Integer> numbers(String field) {
        if (value(field).isEmpty()) {
            return List.of();
        }
        try {
            return java.util.Arrays.stream(value(field).split(",")).map(String::trim).map(Integer::parseInt).toList();
        } catch (NumberFormatException e) {
            throw new Refused(field, "Write stage numbers separated by commas, such as 2, 3; got '" + value(field)
                    + "'.");
        }
    }

    private static void put(ObjectNode node, String name, String value) {
        if (!value.isEmpty()) {
            node.put(name, value);
        }
    }

    private static void list(ObjectNode node, String name, String value) {
        if (!value.isEmpty()) {
            ArrayNode a = node.putArray(name);
            for (String item : value.split("[,\\s]+")) {
                if (!item.isEmpty()) {
                    a.add(item);
                }
            }
        }
    }

    /** The form field a service error is about (its message starts with the request path), or null. */
    static String fieldOf(DomainError e) {
        String m = e.getMessage();
        if ("unknown_target".equals(e.code())) {
            return "target";
        }
        if ("rollout_conflict".equals(e.code())) {
            return "supersede";
        }
        for (Map.Entry<String, String> p : PATHS.entrySet()) {
            if (m.startsWith(p.getKey())) {
                return p.getValue();
            }
        }
        return null;
    }

    private static Map<String, String> paths() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("selection.installedVersion.atLeast", "versionAtLeast");
        m.put("selection.installedVersion.below", "versionBelow");
        m.put("selection.installedVersion", "versionAtLeast");
        m.put("policies.maintenanceWindow.durationMinutes", "windowMinutes");
        m.put("policies.maintenanceWindow.zone", "windowZone");
        m.put("policies.maintenanceWindow", "windowCron");
        m.put("plan.gates.failureRate.minDevices", "failureMinDevices");
        m.put("plan.gates.rollbackRate.minDevices", "rollbackMinDevices");
        m.put("plan.gates.timeoutRate.minDevices", "timeoutMinDevices");
        m.put("plan.gates.failureRate", "failureRate");
        m.put("plan.gates.rollbackRate", "rollbackRate");
        m.put("plan.gates.timeoutRate", "timeoutRate");
        for (String f : List.of("hardwareId", "groups", "tags", "devices", "attributes", "mode")) {
            m.put("selection." + f, f);
        }
        m.put("selection", "hardwareId");
        m.put("plan.stages", "stages");
        m.put("plan.ramp.baseRatePerMinute", "rampBaseRatePerMinute");
        m.put("plan.ramp.incrementFactor", "rampIncrementFactor");
        m.put("plan.ramp.increaseCriteria", "rampIncreaseEvery");
        m.put("plan.ramp.maximumPerMinute", "rampMaximumPerMinute");
        m.put("plan.soakSeconds", "soakSeconds");
        m.put("plan.timeoutSeconds", "timeoutSeconds");
        for (String f : List.of("install", "maxConcurrentDownloads", "startAt", "onHalt", "maxRetries",
                "retryBackoffSeconds", "retryBackoffFactor", "retryBackoffMaxSeconds")) {
            m.put("policies." + f, f);
        }
        m.put("target", "target");
        return m;
    }
}
