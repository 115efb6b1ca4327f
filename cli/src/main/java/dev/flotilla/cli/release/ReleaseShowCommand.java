package dev.flotilla.cli.release;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flotilla release show NAME}: one release, as {@code GET /api/v1/releases/{NAME}} gives it: its version,
 * size and hashes, the hardware ids and security version the current targets metadata signs for it, the key ids of
 * that metadata's signatures, and the newest rollouts and deployments of it.
 */
@Command(name = "show", mixinStandardHelpOptions = true, description = "A release: version, hardware, size, hashes,"
        + " security version, who signed the targets listing it, and the newest rollouts of it.")
public final class ReleaseShowCommand extends ApiCommand {
    @Parameters(paramLabel = "NAME", description = "The release's target path (as 'flotilla release list' shows it).")
    String name;

    @Override
    protected void run() throws IOException {
        JsonNode r = get("/api/v1/releases/" + seg(name));
        if (r == null) {
            return;
        }
        line("target", text(r, "targetPath"));
        line("version", text(r, "version"));
        line("hardware", joined(r.path("hardwareIds")));
        line("length", text(r, "length") + " bytes");
        line("sha256", text(r, "sha256"));
        line("sha512", text(r, "sha512"));
        line("security version", text(r, "securityVersion"));
        line("targets signed by", joined(r.path("signedBy")) + " (key ids)");
        line("published", text(r, "createdAt") + " (targets version " + text(r, "targetsVersion") + ")");
        JsonNode rollouts = r.path("rollouts");
        if (rollouts.isEmpty()) {
            line("rollouts", "none");
            return;
        }
        out().println("rollouts (newest first):");
        Table t = new Table("  ID", "KIND", "STATE", "STAGE", "CREATED", "BY");
        for (JsonNode u : rollouts) {
            t.row("  " + text(u, "id"), text(u, "kind"), text(u, "state"),
                    (u.path("stage").asInt() + 1) + "/" + u.path("stages").asInt(), text(u, "createdAt"),
                    text(u, "createdBy"));
        }
        t.print(out());
    }

    private void line(String label, String value) {
        out().printf("%-19s%s%n", label + ":", value);
    }

    /** The array's items joined with ", ", or "-" when it is empty. */
    private static String joined(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(n.asText()));
        return items.isEmpty() ? "-" : String.join(", ", items);
    }
}
