package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;

import java.util.Set;

/**
 * What an operator asks for when creating (or previewing) a rollout:
 * {@code {"target", "selection", "plan"?, "policies"?, "supersede"?, "start"?}}. A missing plan is
 * {@link Plan#DEFAULT}, missing policies {@link Policies#DEFAULT}.
 *
 * @param supersede take over devices that another rollout holds (otherwise such an overlap is refused)
 * @param start     start at once (otherwise the rollout waits in state {@code created} for the start action)
 */
public record RolloutRequest(String target, Selection selection, Plan plan, Policies policies, boolean supersede,
                             boolean start) {
    /**
     * Reads and validates a request; every part is checked before anything is stored.
     *
     * @throws DomainError.Invalid naming the field ({@code invalid_request}, {@code invalid_selection},
     *                             {@code invalid_plan}, {@code invalid_policies})
     */
    public static RolloutRequest parse(JsonNode json) {
        Fields f = Fields.of(json, "request", "invalid_request",
                Set.of("target", "selection", "plan", "policies", "supersede", "start"));
        String target = f.string("target").orElseThrow(() -> new DomainError.Invalid("invalid_request",
                "target is required (the path of a released target)"));
        if (!f.has("selection")) {
            throw new DomainError.Invalid("invalid_selection", "selection is required (e.g. {\"groups\": [\"lab\"]})");
        }
        return new RolloutRequest(target, Selection.parse(f.get("selection")),
                f.has("plan") ? Plan.parse(f.get("plan")) : Plan.DEFAULT,
                f.has("policies") ? Policies.parse(f.get("policies")) : Policies.DEFAULT,
                f.bool("supersede").orElse(false), f.bool("start").orElse(false));
    }
}
