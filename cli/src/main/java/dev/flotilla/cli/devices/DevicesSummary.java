package dev.flotilla.cli.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;

import java.io.IOException;

/**
 * {@code flotilla devices summary}: the fleet's counts the dashboard's overview shows ({@code GET
 * /api/v1/fleet/summary}): active, online and offline devices, by installed version, hardware and health, and how
 * many are behind the newest security version or trust an older root. Each bucket names the {@code devices list}
 * option that lists its devices.
 */
@Command(name = "summary", description = "The fleet's counts: presence, versions, hardware, health, security state.",
        mixinStandardHelpOptions = true)
final class DevicesSummary extends ApiCommand {
    @Override
    protected void run() throws IOException {
        JsonNode s = get("/api/v1/fleet/summary");
        if (s == null) {
            return;
        }
        out().println("devices:   " + s.path("active").asLong() + " active (" + s.path("online").asLong() + " online, "
                + s.path("offline").asLong() + " offline, " + s.path("neverSeen").asLong() + " never seen), "
                + s.path("decommissioned").asLong() + " decommissioned");
        out().println("security:  " + s.path("belowSecurityVersion").asLong()
                + " below the newest security version (--security-version behind); "
                + (s.path("rootVersion").isNull() || s.path("rootVersion").isMissingNode() ? "no root yet"
                : "root version " + s.path("rootVersion").asLong() + ", " + s.path("behindRoot").asLong()
                + " trusting an older one (--trusted-root behind)"));
        buckets(s.path("byVersion"), "VERSION", "--installed-version");
        buckets(s.path("byHardware"), "HARDWARE", "--hardware");
        buckets(s.path("byHealth"), "HEALTH", "--health");
    }

    private void buckets(JsonNode counts, String heading, String option) {
        Table t = new Table(heading, "DEVICES", "LIST WITH");
        for (JsonNode c : counts) {
            t.row(text(c, "label"), c.path("count").asLong(),
                    c.path("filter").isTextual() ? option + " " + c.path("filter").asText() : "-");
        }
        out().println();
        t.print(out());
    }
}
