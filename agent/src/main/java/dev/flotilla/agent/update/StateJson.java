package dev.flotilla.agent.update;

import static dev.flotilla.agent.storage.FileJson.flag;
import static dev.flotilla.agent.storage.FileJson.number;
import static dev.flotilla.agent.storage.FileJson.object;
import static dev.flotilla.agent.storage.FileJson.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.storage.FileJson;
import dev.flotilla.core.director.MaintenanceWindow;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.json.JsonFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON of the update machine's files: the state file ({@link StateStore.Persisted}) and the queued events
 * ({@link Event}), written and read over Jackson's tree model by hand ({@link FileJson}), so that the agent never
 * builds an object mapper (Jackson's data binding was the largest part of the agent's memory).
 *
 * <p>The fields are the records' components by name, as agents that bound these records with Jackson wrote them
 * (devices in the field must read the files they left): an update state carries its kind in {@code "state"}
 * ({@link UpdateState#label()}); a missing or null field reads as null, 0 or false; unknown fields are ignored.
 * Files are written in canonical JSON with control characters escaped ({@link CanonicalJson#encodeValid}).
 */
final class StateJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private StateJson() {
    }

    /** The state file's bytes. */
    static byte[] write(StateStore.Persisted p) {
        ObjectNode o = NODES.objectNode().put("seq", p.seq()).put("entries", p.entries());
        o.set("state", state(p.state()));
        StateStore.Finished f = p.finished();
        o.set("finished", f == null ? null : NODES.objectNode().put("counter", f.counter())
                .put("assignmentId", f.assignmentId()).put("outcome", name(f.outcome())));
        StateStore.HealthWatch w = p.watch();
        o.set("watch", w == null ? null : NODES.objectNode().put("assignmentId", w.assignmentId())
                .put("version", w.version()).put("untilEpochMilli", w.untilEpochMilli()).put("failing", w.failing()));
        return CanonicalJson.encodeValid(o);
    }

    /** The state file {@code file} holds. */
    static StateStore.Persisted readPersisted(Path file, byte[] bytes) throws IOException {
        try {
            JsonNode o = CanonicalJson.parseObject(bytes);
            JsonNode f = object(o, "finished");
            JsonNode w = object(o, "watch");
            StateStore.Finished finished = f == null ? null
                    : new StateStore.Finished(number(f, "counter"), text(f, "assignmentId"), reason(f, "outcome"));
            StateStore.HealthWatch watch = w == null ? null : new StateStore.HealthWatch(text(w, "assignmentId"),
                    text(w, "version"), number(w, "untilEpochMilli"), flag(w, "failing"));
            return new StateStore.Persisted(number(o, "seq"), (int) number(o, "entries"), state(object(o, "state")),
                    finished, watch);
        } catch (JsonFormatException | IllegalArgumentException | NullPointerException e) { // the records' checks too
            throw new IOException(file + ": not a state file this agent can read: " + e.getMessage(), e);
        }
    }

    /** A queued event's bytes. */
    static byte[] write(Event e) {
        ObjectNode o = NODES.objectNode().put("eventId", e.eventId()).put("seq", e.seq()).put("state", e.state())
                .put("reason", name(e.reason())).put("detail", e.detail()).put("assignmentId", e.assignmentId())
                .put("version", e.version()).put("done", e.done()).put("total", e.total())
                .put("occurredAt", e.occurredAt());
        ArrayNode checks = e.checks() == null ? null : NODES.arrayNode();
        for (HealthReport.Check c : e.checks() == null ? List.<HealthReport.Check>of() : e.checks()) {
            checks.add(NODES.objectNode().put("name", c.name()).put("ok", c.ok()).put("reasonCode", c.reasonCode())
                    .put("detail", c.detail()));
        }
        o.set("checks", checks);
        return CanonicalJson.encodeValid(o);
    }

    /** The event the queue's file {@code file} holds. */
    static Event readEvent(Path file, byte[] bytes) throws IOException {
        try {
            JsonNode o = CanonicalJson.parseObject(bytes);
            JsonNode c = o.get("checks");
            List<HealthReport.Check> checks = null;
            if (c != null && !c.isNull()) {
                checks = new ArrayList<>();
                for (JsonNode check : c) {
                    checks.add(new HealthReport.Check(text(check, "name"), flag(check, "ok"),
                            text(check, "reasonCode"), text(check, "detail")));
                }
            }
            return new Event(text(o, "eventId"), number(o, "seq"), text(o, "state"), reason(o, "reason"),
                    text(o, "detail"), text(o, "assignmentId"), text(o, "version"), number(o, "done"),
                    number(o, "total"), text(o, "occurredAt"), checks);
        } catch (JsonFormatException | IllegalArgumentException | NullPointerException e) { // the records' checks too
            throw new IOException(file + ": not an event this agent can read: " + e.getMessage(), e);
        }
    }

    private static ObjectNode state(UpdateState s) {
        ObjectNode o = NODES.objectNode().put("state", s.label());
        switch (s) {
            case UpdateState.Idle i -> {
            }
            case UpdateState.Downloading d -> o.put("slot", d.slot()).put("offset", d.offset());
            case UpdateState.Failed f -> o.put("slot", f.slot()).put("reason", name(f.reason()))
                    .put("detail", f.detail());
            case UpdateState.RollingBack r -> o.put("slot", r.slot()).put("reason", name(r.reason()))
                    .put("detail", r.detail());
            case UpdateState.RolledBack r -> o.put("reason", name(r.reason())).put("detail", r.detail());
            default -> o.put("slot", slot(s));
        }
        if (!(s instanceof UpdateState.Idle)) {
            Assignment a = assignment(s);
            o.set("assignment", a == null ? null : assignment(a));
        }
        return o;
    }

    private static UpdateState state(JsonNode o) {
        if (o == null) {
            throw new IllegalArgumentException("no state");
        }
        Assignment a = assignment(object(o, "assignment"));
        String slot = text(o, "slot");
        String kind = text(o, "state");
        return switch (kind == null ? "" : kind) {
            case "IDLE" -> new UpdateState.Idle();
            case "DOWNLOADING" -> new UpdateState.Downloading(a, slot, number(o, "offset"));
            case "VERIFYING" -> new UpdateState.Verifying(a, slot);
            case "INSTALLING" -> new UpdateState.Installing(a, slot);
            case "INSTALLED" -> new UpdateState.Installed(a, slot);
            case "REBOOTING" -> new UpdateState.Rebooting(a, slot);
            case "TRIAL" -> new UpdateState.Trial(a, slot);
            case "HEALTH_CHECK" -> new UpdateState.HealthChecking(a, slot);
            case "COMMITTED" -> new UpdateState.Committed(a, slot);
            case "FAILED" -> new UpdateState.Failed(a, slot, reason(o, "reason"), text(o, "detail"));
            case "ROLLING_BACK" -> new UpdateState.RollingBack(a, slot, reason(o, "reason"),
                    text(o, "detail"));
            case "ROLLED_BACK" -> new UpdateState.RolledBack(a, reason(o, "reason"), text(o, "detail"));
            case "WITHDRAWN" -> new UpdateState.Withdrawn(a, slot);
            default -> throw new IllegalArgumentException("unknown state '" + kind + "'");
        };
    }

    /** The slot of a state that has one (every state but IDLE and ROLLED_BACK). */
    private static String slot(UpdateState s) {
        return switch (s) {
            case UpdateState.Verifying v -> v.slot();
            case UpdateState.Installing i -> i.slot();
            case UpdateState.Installed i -> i.slot();
            case UpdateState.Rebooting r -> r.slot();
            case UpdateState.Trial t -> t.slot();
            case UpdateState.HealthChecking h -> h.slot();
            case UpdateState.Committed c -> c.slot();
            case UpdateState.Withdrawn w -> w.slot();
            default -> throw new IllegalStateException("no slot in " + s.label());
        };
    }

    private static Assignment assignment(UpdateState s) {
        return switch (s) {
            case UpdateState.Idle i -> null;
            case UpdateState.Downloading d -> d.assignment();
            case UpdateState.Verifying v -> v.assignment();
            case UpdateState.Installing i -> i.assignment();
            case UpdateState.Installed i -> i.assignment();
            case UpdateState.Rebooting r -> r.assignment();
            case UpdateState.Trial t -> t.assignment();
            case UpdateState.HealthChecking h -> h.assignment();
            case UpdateState.Committed c -> c.assignment();
            case UpdateState.Failed f -> f.assignment();
            case UpdateState.RollingBack r -> r.assignment();
            case UpdateState.RolledBack r -> r.assignment();
            case UpdateState.Withdrawn w -> w.assignment();
        };
    }

    private static ObjectNode assignment(Assignment a) {
        ObjectNode o = NODES.objectNode().put("id", a.id()).put("target", a.target()).put("version", a.version())
                .put("length", a.length()).put("sha256", a.sha256()).put("securityVersion", a.securityVersion())
                .put("forced", a.forced()).put("counter", a.counter()).put("withdrawn", a.withdrawn())
                .put("downloadOnly", a.downloadOnly()).put("soakSeconds", a.soakSeconds());
        o.set("installWindow", a.installWindow() == null ? null : a.installWindow().toJson());
        return o;
    }

    private static Assignment assignment(JsonNode o) {
        if (o == null) {
            return null;
        }
        JsonNode window = object(o, "installWindow");
        return new Assignment(text(o, "id"), text(o, "target"), text(o, "version"), number(o, "length"),
                text(o, "sha256"), number(o, "securityVersion"), flag(o, "forced"), number(o, "counter"),
                flag(o, "withdrawn"), flag(o, "downloadOnly"),
                window == null ? null : MaintenanceWindow.fromJson(window), number(o, "soakSeconds"));
    }

    private static ReasonCode reason(JsonNode o, String field) {
        String name = text(o, field);
        return name == null ? null : ReasonCode.valueOf(name);
    }

    private static String name(ReasonCode r) {
        return r == null ? null : r.name();
    }
}
