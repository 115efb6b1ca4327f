package dev.flotilla.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.server.devices.DeviceDetails;
import dev.flotilla.server.devices.DeviceEvent;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A device's timeline as its page shows it: one group per update attempt (the events the agent reported for one
 * assignment, which carry its {@code deploymentId}: download, verify, install, trial boot, health checks, commit
 * or rollback), newest attempt first and its steps in the order they happened; then the events tied to no
 * assignment, newest first. A {@code download_started} after an attempt's outcome (commit, rollback, failure or
 * withdrawal) starts the next attempt of the same assignment, as when a rollout retries the device.
 *
 * <p>The ids come from the device's own reports, which may name any rollout (the events API stores them and
 * changes only the reporting device's rows): an update links to its rollout's page only when the device belongs
 * to that rollout ({@link DeviceDetails#memberOf}); any other id is shown as text.
 */
final class Timeline {
    /** The event types that end an attempt, and how the attempt's heading names them. */
    private static final Map<String, String> OUTCOMES = Map.of("committed", "committed", "rolled_back",
            "rolled back", "failed", "failed", "health_failed", "failed", "withdrawn", "withdrawn");
    /** The details a step's heading already shows (or that its list of checks does). */
    private static final Set<String> SHOWN = Set.of("deploymentId", "assignmentId", "version", "checks");

    /** A health check the agent ran: its name, whether it passed, its reason code and detail (may be empty). */
    public record Check(String name, boolean ok, String reasonCode, String detail) {
    }

    /** One event: its type as read ({@code trial boot}), when, the details not shown elsewhere, its health checks. */
    public record Step(DeviceEvent event, String label, String at, String details, List<Check> checks) {
    }

    /**
     * One attempt at one update: the assignment's id (a rollout's or a deployment's), the release version the
     * agent named (null when it named none), which attempt of that assignment it is and of how many, its outcome
     * ({@code committed}, {@code rolled back}, {@code failed}, {@code withdrawn} or {@code in progress}), its
     * steps, oldest first, and whether the device belongs to that rollout ({@code member}: only then is it linked).
     */
    public record Update(String deploymentId, String version, int attempt, int attempts, String outcome,
                         List<Step> steps, boolean member) {
        /** The link to the assignment's rollout (or deployment) page; the page shows it only for a {@code member}. */
        public String href() {
            return "/ui/rollouts/" + URLEncoder.encode(deploymentId, StandardCharsets.UTF_8);
        }

        /** What assigned it: {@code Deployment} (an id made by the deployments API) or {@code Rollout}. */
        public String kind() {
            return deploymentId.startsWith("dep_") ? "Deployment" : "Rollout";
        }

        /** The badge class of the outcome: {@code ok}, {@code bad}, {@code off} or none. */
        public String badge() {
            return switch (outcome) {
                case "committed" -> "ok";
                case "rolled back", "failed" -> "bad";
                case "withdrawn" -> "off";
                default -> "";
            };
        }
    }

    /** The updates (newest first) and the events tied to no update (newest first). */
    public record Grouped(List<Update> updates, List<Step> other) {
        public boolean isEmpty() {
            return updates.isEmpty() && other.isEmpty();
        }
    }

    private Timeline() {
    }

    /**
     * Groups a device's events, given newest first (as the server received them); {@code memberOf} holds the
     * rollouts (and deployments) among their ids that the device belongs to.
     */
    static Grouped of(List<DeviceEvent> newestFirst, Set<String> memberOf) {
        List<DeviceEvent> events = newestFirst.reversed();
        Map<String, List<Attempt>> byAssignment = new LinkedHashMap<>();
        List<Attempt> attempts = new ArrayList<>();
        List<Step> other = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            DeviceEvent e = events.get(i);
            String assignment = assignment(e);
            if (assignment == null) {
                other.addFirst(step(e));
                continue;
            }
            List<Attempt> of = byAssignment.computeIfAbsent(assignment, k -> new ArrayList<>());
            if (of.isEmpty() || (of.getLast().outcome != null && "download_started".equals(e.type()))) {
                Attempt a = new Attempt(assignment, of.size() + 1);
                of.add(a);
                attempts.add(a);
            }
            of.getLast().add(e, i);
        }
        attempts.sort(Comparator.comparingInt((Attempt a) -> a.last).reversed());
        return new Grouped(attempts.stream().map(a -> a.update(byAssignment.get(a.assignment).size(),
                memberOf.contains(a.assignment))).toList(), List.copyOf(other));
    }

    /** The distinct assignment ids the events name, to ask which of them the device belongs to. */
    static Set<String> assignments(List<DeviceEvent> events) {
        Set<String> ids = new java.util.HashSet<>();
        events.forEach(e -> {
            String id = assignment(e);
            if (id != null) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** The assignment an event reports on: its {@code deploymentId}, else its {@code assignmentId}; or null. */
    private static String assignment(DeviceEvent e) {
        return text(e.details(), "deploymentId", text(e.details(), "assignmentId", null));
    }

    /** An attempt being gathered. */
    private static final class Attempt {
        final String assignment;
        final int number;
        final List<Step> steps = new ArrayList<>();
        String version;
        String outcome;
        int last;

        Attempt(String assignment, int number) {
            this.assignment = assignment;
            this.number = number;
        }

        void add(DeviceEvent e, int index) {
            steps.add(step(e));
            version = text(e.details(), "version", version);
            outcome = OUTCOMES.getOrDefault(e.type(), outcome);
            last = index;
        }

        Update update(int attempts, boolean member) {
            return new Update(assignment, version, number, attempts, outcome == null ? "in progress" : outcome,
                    List.copyOf(steps), member);
        }
    }

    private static Step step(DeviceEvent e) {
        String at = e.occurredAt() == null ? e.receivedAt() : e.occurredAt();
        String details = null;
        List<Check> checks = new ArrayList<>();
        if (e.details() instanceof ObjectNode d && !d.isEmpty()) {
            ObjectNode rest = d.deepCopy();
            rest.remove(SHOWN);
            details = rest.isEmpty() ? null : rest.toString();
            d.path("checks").forEach(c -> checks.add(new Check(c.path("name").asText(""), c.path("ok").asBoolean(),
                    c.path("reasonCode").asText(""), c.path("detail").asText(""))));
        } else if (e.details() != null && !e.details().isEmpty()) {
            details = e.details().toString();
        }
        return new Step(e, e.type().replace('_', ' '), at, details, List.copyOf(checks));
    }

    /** The text of a field, or {@code fallback} when it is absent, null, blank or not text. */
    private static String text(JsonNode details, String field, String fallback) {
        JsonNode v = details == null ? null : details.get(field);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : fallback;
    }
}
