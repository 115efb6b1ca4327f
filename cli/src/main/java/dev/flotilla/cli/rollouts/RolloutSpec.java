package dev.flotilla.cli.rollouts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.json.CanonicalJson;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code rollout create} and {@code rollout preview} send (a picocli mixin): the release, the selection,
 * the plan (a JSON file, sent as is: the server validates it and names the field it refuses) and the policies.
 * Values are passed through unchecked; the server's validation is the one that counts.
 */
public final class RolloutSpec {
    @Option(names = "--release", paramLabel = "PATH", required = true,
            description = "The released target's path, e.g. fw-2.0.bin.")
    String release;

    @Option(names = "--hardware", paramLabel = "ID", description = "Only devices of this hardware id.")
    String hardware;
    @Option(names = "--group", paramLabel = "G", split = ",", description = "Devices in any of these groups.")
    List<String> groups;
    @Option(names = "--tag", paramLabel = "TAG", split = ",", description = "Devices with any of these tags.")
    List<String> tags;
    @Option(names = "--device", paramLabel = "ID", split = ",", description = "Only these devices.")
    List<String> devices;
    @Option(names = "--devices-file", paramLabel = "FILE",
            description = "Only the devices listed in this file, one id a line (# comments and blank lines ignored).")
    Path devicesFile;
    @Option(names = "--installed-at-least", paramLabel = "V",
            description = "Devices whose manifest reports at least this installed version.")
    String atLeast;
    @Option(names = "--installed-below", paramLabel = "V",
            description = "Devices whose manifest reports an installed version below this one.")
    String below;
    @Option(names = "--attribute", paramLabel = "NAME=VALUE",
            description = "Devices with this attribute value (repeat for several; all must hold).")
    Map<String, String> attributes;
    @Option(names = "--static", description = "Freeze the members when the rollout starts (default: dynamic, "
            + "devices that match later join, each in its own stage).")
    boolean staticSelection;

    @Option(names = "--plan", paramLabel = "FILE", description = "The plan as JSON, e.g. "
            + "{\"stages\": [{\"percent\": 1}, {\"percent\": 100}], \"gates\": {\"failureRate\": {\"max\": 0.05}}} "
            + "(default: the server's 1%%, 10%%, 50%%, 100%%).")
    Path plan;

    @Option(names = "--install", paramLabel = "MODE", description = "forced, soft (default) or download-only.")
    String install;
    @Option(names = "--max-concurrent-downloads", paramLabel = "N", description = "At most N devices downloading at once.")
    Long maxConcurrentDownloads;
    @Option(names = "--window", paramLabel = "CRON", description = "Maintenance window start, 5 cron fields, "
            + "e.g. '0 2 * * *' (with --window-minutes).")
    String windowCron;
    @Option(names = "--window-minutes", paramLabel = "N", description = "Maintenance window length in minutes.")
    Long windowMinutes;
    @Option(names = "--window-zone", paramLabel = "ZONE", description = "Maintenance window time zone (default UTC).")
    String windowZone;
    @Option(names = "--start-at", paramLabel = "INSTANT", description = "First stage no earlier than this, "
            + "e.g. 2026-12-24T02:00:00Z.")
    String startAt;
    @Option(names = "--on-halt", paramLabel = "ACTION", description = "pause (default: devices keep what they have) "
            + "or revert (devices that committed get their previous release).")
    String onHalt;
    @Option(names = "--max-retries", paramLabel = "N", description = "How often one failed device may be retried (default 2).")
    Long maxRetries;
    @Option(names = "--retry-backoff-seconds", paramLabel = "N", description = "How long after its failure a "
            + "device's first retry waits (default 300; 0: none); each further retry waits --retry-backoff-factor "
            + "times longer.")
    Long retryBackoffSeconds;
    @Option(names = "--retry-backoff-factor", paramLabel = "F", description = "How many times longer each further "
            + "retry of a device waits (default 2).")
    Double retryBackoffFactor;
    @Option(names = "--retry-backoff-max-seconds", paramLabel = "N", description = "No retry waits longer "
            + "(default the larger of 3600 and --retry-backoff-seconds).")
    Long retryBackoffMaxSeconds;

    /**
     * The request body: {@code {"target", "selection", "plan"?, "policies"?}}.
     *
     * @throws IllegalArgumentException (one line) when the plan or devices file cannot be read or is not JSON
     */
    ObjectNode body() throws IOException {
        ObjectNode body = CanonicalJson.mapper().createObjectNode().put("target", release);
        body.set("selection", selection());
        if (plan != null) {
            body.set("plan", readPlan(plan));
        }
        ObjectNode policies = policies();
        if (!policies.isEmpty()) {
            body.set("policies", policies);
        }
        return body;
    }

    private ObjectNode selection() throws IOException {
        ObjectNode s = CanonicalJson.mapper().createObjectNode();
        if (hardware != null) {
            s.put("hardwareId", hardware);
        }
        strings(s, "groups", groups);
        strings(s, "tags", tags);
        List<String> ids = new java.util.ArrayList<>(devices == null ? List.of() : devices);
        if (devicesFile != null) {
            for (String line : new String(read(devicesFile), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                String id = line.strip();
                if (!id.isEmpty() && !id.startsWith("#")) {
                    ids.add(id);
                }
            }
            if (ids.isEmpty()) {
                throw new IllegalArgumentException(devicesFile + ": lists no device");
            }
        }
        strings(s, "devices", ids.isEmpty() ? null : ids);
        if (atLeast != null || below != null) {
            ObjectNode range = s.putObject("installedVersion");
            if (atLeast != null) {
                range.put("atLeast", atLeast);
            }
            if (below != null) {
                range.put("below", below);
            }
        }
        if (attributes != null && !attributes.isEmpty()) {
            ObjectNode a = s.putObject("attributes");
            attributes.forEach(a::put);
        }
        if (staticSelection) {
            s.put("mode", "static");
        }
        return s;
    }

    private ObjectNode policies() {
        ObjectNode p = CanonicalJson.mapper().createObjectNode();
        if (install != null) {
            p.put("install", install);
        }
        if (maxConcurrentDownloads != null) {
            p.put("maxConcurrentDownloads", maxConcurrentDownloads);
        }
        if (windowCron != null || windowMinutes != null || windowZone != null) {
            ObjectNode w = p.putObject("maintenanceWindow");
            if (windowCron != null) {
                w.put("cron", windowCron);
            }
            if (windowMinutes != null) {
                w.put("durationMinutes", windowMinutes);
            }
            if (windowZone != null) {
                w.put("zone", windowZone);
            }
        }
        if (startAt != null) {
            p.put("startAt", startAt);
        }
        if (onHalt != null) {
            p.put("onHalt", onHalt);
        }
        if (maxRetries != null) {
            p.put("maxRetries", maxRetries);
        }
        if (retryBackoffSeconds != null) {
            p.put("retryBackoffSeconds", retryBackoffSeconds);
        }
        if (retryBackoffFactor != null) {
            p.put("retryBackoffFactor", retryBackoffFactor);
        }
        if (retryBackoffMaxSeconds != null) {
            p.put("retryBackoffMaxSeconds", retryBackoffMaxSeconds);
        }
        return p;
    }

    private static void strings(ObjectNode s, String field, List<String> values) {
        if (values != null && !values.isEmpty()) {
            ArrayNode a = s.putArray(field);
            values.forEach(a::add);
        }
    }

    /** A local file's bytes; one that cannot be read is one line naming it (not taken for a network error). */
    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file or directory");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IllegalArgumentException(file + ": permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage());
        }
    }

    /** The plan file's JSON; a file that is not JSON is one line naming the file, line and column. */
    static JsonNode readPlan(Path file) throws IOException {
        byte[] bytes = read(file);
        try {
            return CanonicalJson.mapper().readTree(bytes);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new IllegalArgumentException(file + ": not JSON" + (at == null ? "" : " (line " + at.getLineNr()
                    + ", column " + at.getColumnNr() + ")") + ": " + e.getOriginalMessage());
        }
    }
}
