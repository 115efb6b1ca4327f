package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A rollout's plan: ordered stages, each a percentage or a count of the selection, and what guards them.
 * {@code soakSeconds}, {@code timeoutSeconds} and {@code gates} at the plan level apply to every stage that
 * does not set its own. JSON (the API and the CLI's plan files use it as is):
 * <pre>{@code
 * {"stages": [{"percent": 1}, {"count": 500, "approval": true}, {"percent": 100, "soakSeconds": 0}],
 *  "soakSeconds": 3600, "timeoutSeconds": 86400,
 *  "gates": {"failureRate": {"max": 0.05, "minDevices": 5}, "rollbackRate": {"max": 0.02, "minDevices": 5},
 *            "timeoutRate": {"max": 0.1, "minDevices": 5}}}
 * }</pre>
 * or, instead of {@code stages}, an exponential {@code ramp} ({@link Ramp}).
 *
 * @param soakSeconds    how long a stage's devices must stay healthy after the last of them committed (and
 *                       after the stage started) before the next stage starts
 * @param timeoutSeconds how long a device admitted in a stage has to reach a final state (committed, failed,
 *                       rolled back); past it, it counts as timed out (a failure); null: no timeout
 * @param stages         the stages; a plan with a {@code ramp} has one stage of 100% whose devices the ramp admits
 *                       at its rate (its JSON has {@code ramp} instead of {@code stages})
 * @param ramp           an exponential ramp ({@link Ramp}) instead of stages, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Plan(@JsonIgnore List<Stage> stages, long soakSeconds, Long timeoutSeconds, Gates gates, Ramp ramp) {
    private static final String CODE = "invalid_plan";
    static final long MAX_SECONDS = 365L * 24 * 3600;

    /** The plan of a rollout created without one: 1%, 10%, 50%, 100%, an hour's soak, a day's timeout. */
    public static final Plan DEFAULT = new Plan(List.of(Stage.percent(1), Stage.percent(10), Stage.percent(50),
            Stage.percent(100)), 3600, 86400L, new Gates(new Gate(0.05, 1), null, null), null);

    /** The plan of a deployment ({@code POST /api/v1/deployments}): one 100% stage, no soak, timeout or gate. */
    public static final Plan ONE_STAGE = new Plan(List.of(Stage.percent(100)), 0, null, Gates.NONE, null);

    /** One stage: exactly one of {@code percent} (0 < p <= 100) and {@code count} (>= 1); the rest overrides the plan. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stage(Double percent, Long count, Long soakSeconds, Long timeoutSeconds, Boolean approval,
                        Gates gates) {
        static Stage percent(double p) {
            return new Stage(p, null, null, null, null, null);
        }
    }

    /** The gates of a stage; a null gate is not checked. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Gates(Gate failureRate, Gate rollbackRate, Gate timeoutRate) {
        public static final Gates NONE = new Gates(null, null, null);
    }

    /**
     * A gate holds while the observed rate is at most {@code max}; it is checked only once at least
     * {@code minDevices} devices of the rollout have a verdict (committed, failed, rolled back, timed out).
     */
    public record Gate(double max, long minDevices) {
    }

    /** The stages as written in the plan's JSON: none for a ramp. */
    @JsonProperty("stages")
    List<Stage> writtenStages() {
        return ramp == null ? stages : null;
    }

    public Stage stage(int k) {
        return stages.get(k);
    }

    public long soakSeconds(int k) {
        return stage(k).soakSeconds() != null ? stage(k).soakSeconds() : soakSeconds;
    }

    public Long timeoutSeconds(int k) {
        return stage(k).timeoutSeconds() != null ? stage(k).timeoutSeconds() : timeoutSeconds;
    }

    public boolean approval(int k) {
        return Boolean.TRUE.equals(stage(k).approval());
    }

    public Gates gates(int k) {
        return stage(k).gates() != null ? stage(k).gates() : gates == null ? Gates.NONE : gates;
    }

    /**
     * Reads and validates a plan; nothing is stored before this passed.
     *
     * @throws DomainError.Invalid {@code invalid_plan}, naming the field: no stages, a stage with both or
     *                             neither of percent and count, sizes not increasing, a stage after 100%, a
     *                             threshold outside 0..1, an unknown field
     */
    public static Plan parse(JsonNode json) {
        Fields f = Fields.of(json, "plan", CODE, Set.of("stages", "soakSeconds", "timeoutSeconds", "gates", "ramp"));
        if (f.has("ramp")) {
            if (f.has("stages")) {
                throw new DomainError.Invalid(CODE, "plan must have either 'stages' or 'ramp', not both");
            }
            return new Plan(List.of(Stage.percent(100)), f.integer("soakSeconds", 0, MAX_SECONDS).orElse(3600L),
                    f.integer("timeoutSeconds", 1, MAX_SECONDS).orElse(null),
                    f.has("gates") ? gates(f.get("gates"), "plan.gates") : Gates.NONE, Ramp.parse(f.get("ramp"), "plan.ramp"));
        }
        JsonNode stages = f.get("stages");
        if (stages == null || !stages.isArray() || stages.isEmpty() || stages.size() > 100) {
            throw f.invalid("stages", "must be an array of 1 to 100 stages (or give a 'ramp' instead)");
        }
        List<Stage> list = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            list.add(stage(stages.get(i), "plan.stages[" + i + "]"));
        }
        requireIncreasing(list);
        return new Plan(List.copyOf(list), f.integer("soakSeconds", 0, MAX_SECONDS).orElse(3600L),
                f.integer("timeoutSeconds", 1, MAX_SECONDS).orElse(null),
                f.has("gates") ? gates(f.get("gates"), "plan.gates") : Gates.NONE, null);
    }

    private static Stage stage(JsonNode json, String path) {
        Fields f = Fields.of(json, path, CODE,
                Set.of("percent", "count", "soakSeconds", "timeoutSeconds", "approval", "gates"));
        if (f.has("percent") == f.has("count")) {
            throw new DomainError.Invalid(CODE, path + " must have exactly one of 'percent' and 'count'");
        }
        return new Stage(f.number("percent", 0, 100, true).orElse(null),
                f.integer("count", 1, Integer.MAX_VALUE).orElse(null),
                f.integer("soakSeconds", 0, MAX_SECONDS).orElse(null),
                f.integer("timeoutSeconds", 1, MAX_SECONDS).orElse(null), f.bool("approval").orElse(null),
                f.has("gates") ? gates(f.get("gates"), path + ".gates") : null);
    }

    private static Gates gates(JsonNode json, String path) {
        Fields f = Fields.of(json, path, CODE, Set.of("failureRate", "rollbackRate", "timeoutRate"));
        return new Gates(gate(f, "failureRate"), gate(f, "rollbackRate"), gate(f, "timeoutRate"));
    }

    private static Gate gate(Fields parent, String name) {
        if (!parent.has(name)) {
            return null;
        }
        Fields f = Fields.of(parent.get(name), parent.at(name), CODE, Set.of("max", "minDevices"));
        if (!f.has("max")) {
            throw f.invalid("max", "is required (a rate from 0 to 1)");
        }
        return new Gate(f.number("max", 0, 1, false).orElseThrow(), f.integer("minDevices", 1, Integer.MAX_VALUE)
                .orElse(1L));
    }

    /** Percent stages must grow, count stages must grow, and nothing may follow a 100% stage. */
    private static void requireIncreasing(List<Stage> stages) {
        Double lastPercent = null;
        Long lastCount = null;
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            String path = "plan.stages[" + i + "]";
            if (i > 0 && stages.get(i - 1).percent() != null && stages.get(i - 1).percent() == 100) {
                throw new DomainError.Invalid(CODE, path + " follows a 100% stage, which already has every device");
            }
            if (s.percent() != null) {
                if (lastPercent != null && s.percent() <= lastPercent) {
                    throw new DomainError.Invalid(CODE, path + ".percent must be above the previous percent stage's "
                            + lastPercent + " (stages must grow)");
                }
                lastPercent = s.percent();
            } else {
                if (lastCount != null && s.count() <= lastCount) {
                    throw new DomainError.Invalid(CODE, path + ".count must be above the previous count stage's "
                            + lastCount + " (stages must grow)");
                }
                lastCount = s.count();
            }
        }
    }
}
