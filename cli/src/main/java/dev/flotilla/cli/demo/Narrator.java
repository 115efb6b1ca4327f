package dev.flotilla.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Follows the devices' events on the server and tells them as a story, one line each. */
final class Narrator {
    private final Operator operator;
    private final PrintWriter out;
    private final Map<String, String> names;
    private final Map<String, Integer> seen = new HashMap<>();

    Narrator(Operator operator, PrintWriter out, Map<String, String> names) {
        this.operator = operator;
        this.out = out;
        this.names = names;
    }

    /**
     * Prints new events until every device reported an event of one of {@code endTypes} for the deployment,
     * or the timeout passes.
     *
     * @return the final event type per device
     */
    Map<String, String> followUntil(String deploymentId, List<String> endTypes, Duration timeout)
            throws IOException, InterruptedException {
        Map<String, String> ended = new HashMap<>();
        Instant deadline = Instant.now().plus(timeout);
        while (ended.size() < names.size() && Instant.now().isBefore(deadline)) {
            for (String id : names.keySet()) {
                List<JsonNode> events = operator.events(id);
                int from = seen.getOrDefault(id, 0);
                for (JsonNode e : events.subList(Math.min(from, events.size()), events.size())) {
                    tell(id, e);
                    String dep = e.path("details").path("deploymentId").asText("");
                    if (dep.equals(deploymentId) && endTypes.contains(e.path("type").asText())) {
                        ended.put(id, e.path("type").asText());
                    }
                }
                seen.put(id, events.size());
            }
            Thread.sleep(500);
        }
        return ended;
    }

    private void tell(String id, JsonNode e) {
        JsonNode d = e.path("details");
        String what = switch (e.path("type").asText()) {
            case "download_started" -> "downloading " + d.path("version").asText("") + " (director assignment and TUF metadata verified)";
            case "download_progress" -> d.path("percent").asInt() / 50 == 1 && d.path("percent").asInt() < 60
                    ? "downloaded " + d.path("percent").asText() + " % (resumable: offset and hash state are persisted)" : null;
            case "downloaded" -> "download complete; verifying length and SHA-256 against the signed target";
            case "verified" -> "verified: the bytes match what the targets key signed";
            case "installed" -> "written to the inactive slot, read back and hashed; trial boot armed";
            case "rebooting" -> "rebooting into the new slot";
            case "trial_boot" -> switch (d.path("state").asText("")) {
                case "TRIAL" -> "booted the new firmware on trial (boot counter armed, not yet confirmed)";
                case "HEALTH_CHECK" -> "running health checks (server reachable, metadata refreshed, health commands)";
                default -> null;
            };
            case "committed" -> "COMMITTED " + d.path("version").asText("") + ": health checks passed, marked good, "
                    + "anti-rollback counter raised";
            case "rolled_back" -> "ROLLED BACK to the previous firmware: " + d.path("reason").asText("")
                    + (d.path("detail").asText("").isEmpty() ? "" : " (" + d.path("detail").asText() + ")");
            case "failed" -> "failed: " + d.path("reason").asText("") + " " + d.path("detail").asText("");
            default -> e.path("type").asText();
        };
        if (what == null) {
            return;
        }
        out.println("  [" + names.get(id) + "] " + what.strip());
        out.flush();
    }
}
