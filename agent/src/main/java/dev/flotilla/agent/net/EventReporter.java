package dev.flotilla.agent.net;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.agent.update.Event;
import dev.flotilla.agent.update.ReasonCode;
import dev.flotilla.agent.update.Reporter;
import java.io.IOException;
import java.time.Clock;

/**
 * The {@link Reporter} over the server's events API: one event per request, acknowledged when the server
 * stored it (new or duplicate: the server de-duplicates on the event id). The state machine's states map
 * to the server's event types; the details keep the exact state, reason code, detail and progress.
 *
 * <p>The HTTP answer becomes a {@link Delivery} here, in one place
 * (docs/decisions/0001-report-queue-rejections.md): 400, 404, 413, 422 and the other 4xx not named below
 * are permanent ({@link Delivery.Rejected}); 401 is retried once after a new login (by
 * {@link ServerClient}) and 403 likewise here, then deferred; 408, 425, 429, 5xx, an unreachable server or
 * a refused login are deferred. A 403 {@code device_decommissioned} stops this reporter from sending events;
 * the queue keeps them. From then on each send first tries one login (the queue's backoff spaces these out)
 * and sending resumes once a login succeeds: the device was re-commissioned.
 */
public final class EventReporter implements Reporter {
    private static final String DECOMMISSIONED = "device_decommissioned";
    private final ServerClient client;
    private final Clock clock;
    private volatile boolean decommissioned;

    public EventReporter(ServerClient client) {
        this(client, Clock.systemUTC());
    }

    /** @param clock stamps the events sent by {@link #sendNow} (queued events carry their own time) */
    public EventReporter(ServerClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    @Override
    public Delivery send(Event e) throws IOException {
        if (decommissioned) {
            try { // re-commissioned meanwhile? a login tells
                client.login();
                decommissioned = false;
            } catch (ServerClient.ServerRefusal refused) {
                return classify(refused, true);
            }
        }
        try {
            return post(e);
        } catch (ServerClient.ServerRefusal refused) {
            if (refused.status() != 403 || refused.duringLogin() || DECOMMISSIONED.equals(refused.code())) {
                return classify(refused, refused.duringLogin());
            }
        }
        try { // a 403 for the request: the token may belong to an older login; log in again, retry once
            client.login();
        } catch (ServerClient.ServerRefusal loginRefused) {
            return classify(loginRefused, true);
        }
        try {
            return post(e);
        } catch (ServerClient.ServerRefusal again) {
            return classify(again, again.duringLogin());
        }
    }

    /** Whether a 403 {@code device_decommissioned} stopped this reporter (and no login has succeeded since). */
    public boolean decommissioned() {
        return decommissioned;
    }

    private Delivery post(Event e) throws IOException {
        ArrayNode batch = JsonNodeFactory.instance.arrayNode();
        batch.add(toJson(e));
        return client.postEvents(batch) ? new Delivery.Acknowledged()
                : new Delivery.Deferred("the server did not acknowledge " + e.eventId());
    }

    /** The delivery for a refusal; a refused login ({@code login}) never drops the event. */
    private Delivery classify(ServerClient.ServerRefusal r, boolean login) {
        if (r.status() == 403 && DECOMMISSIONED.equals(r.code())) {
            decommissioned = true;
            return new Delivery.Deferred(r.getMessage());
        }
        if (login) {
            return new Delivery.Deferred(r.getMessage());
        }
        return switch (r.status()) {
            case 401, 403, 408, 425, 429 -> new Delivery.Deferred(r.getMessage());
            default -> new Delivery.Rejected(r.status(), r.code(), r.serverMessage());
        };
    }

    /** Sends a progress or refusal event that is not part of the persisted queue (best effort). */
    public void sendNow(String eventId, String type, ObjectNode details) throws IOException {
        ArrayNode batch = JsonNodeFactory.instance.arrayNode();
        ObjectNode ev = batch.addObject().put("eventId", eventId).put("type", type)
                .put("occurredAt", clock.instant().toString());
        ev.set("details", details);
        client.postEvents(batch);
    }

    static ObjectNode toJson(Event e) {
        ObjectNode ev = JsonNodeFactory.instance.objectNode().put("eventId", e.eventId()).put("type", type(e));
        if (e.occurredAt() != null) {
            ev.put("occurredAt", e.occurredAt());
        }
        ObjectNode d = ev.putObject("details");
        d.put("state", e.state()).put("reason", e.reason().name()).put("detail", e.detail()).put("seq", e.seq());
        if (e.assignmentId() != null) {
            // the server ties events to a deployment by deploymentId (the director assignment's id)
            d.put("assignmentId", e.assignmentId()).put("deploymentId", e.assignmentId()).put("version", e.version());
        }
        if (e.checks() != null) {
            ArrayNode checks = d.putArray("checks");
            e.checks().forEach(c -> checks.addObject().put("name", c.name()).put("ok", c.ok())
                    .put("reasonCode", c.reasonCode()).put("detail", c.detail()));
        }
        if (e.total() > 0) {
            d.put("done", e.done()).put("total", e.total()).put("percent",
                    dev.flotilla.agent.slots.Progress.percent(e.done(), e.total()));
        }
        return ev;
    }

    /** The server's event type for a transition. */
    public static String type(Event e) {
        return switch (e.state()) {
            case "DOWNLOADING" -> "download_started";
            case "VERIFYING" -> "downloaded";
            case "INSTALLING" -> "verified";
            case "INSTALLED" -> "installed";
            case "REBOOTING" -> "rebooting";
            case "TRIAL", "HEALTH_CHECK", "COMMITTED" -> "trial_boot";
            case "ROLLING_BACK", "ROLLED_BACK" -> "rolled_back";
            case "FAILED" -> "failed";
            case "WITHDRAWN" -> "withdrawn";
            default -> e.reason() == ReasonCode.UPDATE_SUCCEEDED ? "committed"
                    : e.reason() == ReasonCode.UPDATE_WITHDRAWN ? "withdrawn"
                    : e.reason() == ReasonCode.HEALTH_FAILED ? "health_failed"
                    : e.reason() == ReasonCode.UPDATE_ROLLED_BACK ? "rolled_back" : "failed";
        };
    }
}
