package dev.flotilla.agent.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.update.Event;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.Reporter;
import java.io.IOException;

/**
 * The {@link Reporter} over the server's events API: one event per request, acknowledged when the server
 * stored it (new or duplicate: the server de-duplicates on the event id). The state machine's states map
 * to the server's event types; the details keep the exact state, reason code, detail and progress.
 */
public final class EventReporter implements Reporter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServerClient client;

    public EventReporter(ServerClient client) {
        this.client = client;
    }

    @Override
    public boolean send(Event e) throws IOException {
        ArrayNode batch = JSON.createArrayNode();
        batch.add(toJson(e));
        try {
            return client.postEvents(batch);
        } catch (ServerClient.ServerRefusal refused) {
            return false;
        }
    }

    /** Sends a progress or refusal event that is not part of the persisted queue (best effort). */
    public void sendNow(String eventId, String type, ObjectNode details) throws IOException {
        ArrayNode batch = JSON.createArrayNode();
        ObjectNode ev = batch.addObject().put("eventId", eventId).put("type", type);
        ev.set("details", details);
        client.postEvents(batch);
    }

    static ObjectNode toJson(Event e) {
        ObjectNode ev = JSON.createObjectNode().put("eventId", e.eventId()).put("type", type(e));
        ObjectNode d = ev.putObject("details");
        d.put("state", e.state()).put("reason", e.reason().name()).put("detail", e.detail()).put("seq", e.seq());
        if (e.assignmentId() != null) {
            // the server ties events to a deployment by deploymentId (the director assignment's id)
            d.put("assignmentId", e.assignmentId()).put("deploymentId", e.assignmentId()).put("version", e.version());
        }
        if (e.total() > 0) {
            d.put("done", e.done()).put("total", e.total()).put("percent", e.done() * 100 / e.total());
        }
        return ev;
    }

    /** The server's event type for a transition. */
    static String type(Event e) {
        return switch (e.state()) {
            case "DOWNLOADING" -> "download_started";
            case "VERIFYING" -> "downloaded";
            case "INSTALLING" -> "verified";
            case "INSTALLED" -> "installed";
            case "REBOOTING" -> "rebooting";
            case "TRIAL", "HEALTH_CHECK", "COMMITTED" -> "trial_boot";
            case "ROLLING_BACK", "ROLLED_BACK" -> "rolled_back";
            case "FAILED" -> "failed";
            default -> e.reason() == ReasonCode.UPDATE_SUCCEEDED ? "committed"
                    : e.reason() == ReasonCode.UPDATE_ROLLED_BACK ? "rolled_back" : "failed";
        };
    }
}
