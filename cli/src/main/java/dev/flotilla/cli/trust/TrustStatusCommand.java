package dev.flotilla.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import picocli.CommandLine.Command;

import java.io.IOException;

/**
 * {@code flotilla trust status}: the server's current root and targets (version, expiry) and its warnings
 * about signed metadata that expires within 30 days, from its health endpoint.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the server's root and targets versions, their expiry, and expiry warnings.")
public final class TrustStatusCommand extends ApiCommand {
    @Override
    protected void run() throws IOException {
        JsonNode health = get("/healthz");
        if (health == null) {
            return;
        }
        JsonNode trust = health.path("trust");
        for (String role : new String[] {"root", "targets"}) {
            out().println(trust.has(role + "Version")
                    ? String.format("%-8s version %d, expires %s", role, trust.path(role + "Version").asLong(),
                    trust.path(role + "Expires").asText())
                    : String.format("%-8s none yet", role));
        }
        if (trust.path("warnings").isEmpty()) {
            out().println("no expiry warnings");
        }
        trust.path("warnings").forEach(w -> out().println("warning: " + w.asText()));
    }

    @Override
    protected boolean warnsAboutExpiry() {
        return false; // the warnings are this command's output
    }
}
