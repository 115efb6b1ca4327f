package dev.flotilla.cli.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Paging;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.StringJoiner;

import static dev.flotilla.cli.support.ApiCommand.text;

/** {@code flotilla deployments}: assign a released target to a device or a group, and follow it. */
@Command(name = "deployments", description = "Create and follow deployments.", mixinStandardHelpOptions = true,
        subcommands = {DeploymentsCommand.Create.class, DeploymentsCommand.ListDeployments.class,
                DeploymentsCommand.Show.class})
public final class DeploymentsCommand {
    private static final String BASE = "/api/v1/deployments";

    static final class Audience {
        @Option(names = "--device", paramLabel = "ID", required = true, description = "One device.")
        String device;
        @Option(names = "--group", paramLabel = "G", required = true, description = "The group's active devices.")
        String group;
    }

    @Command(name = "create", description = "Deploy a released target (by its path) to a device or a group.",
            mixinStandardHelpOptions = true)
    static final class Create extends ApiCommand {
        @Option(names = "--target", paramLabel = "T", required = true, description = "The target path, e.g. fw-1.1.bin.")
        String target;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Audience audience;

        @Override
        protected void run() throws IOException {
            var body = object().put("target", target);
            if (audience.device != null) {
                body.put("deviceId", audience.device);
            } else {
                body.put("group", audience.group);
            }
            JsonNode d = send("POST", BASE, body);
            if (d != null) {
                out().println("deployment " + text(d, "id") + ": " + text(d, "targetPath") + " to " + audience(d)
                        + " (" + status(d) + ")");
            }
        }
    }

    @Command(name = "list", description = "List deployments, newest first.", mixinStandardHelpOptions = true)
    static final class ListDeployments extends ApiCommand {
        @Mixin
        Paging paging;

        @Override
        protected void run() throws IOException {
            JsonNode page = get(query(BASE, paging.params()));
            if (page != null) {
                printPage(page, new Table("ID", "TARGET", "TO", "CREATED", "STATUS"),
                        d -> new Object[]{text(d, "id"), text(d, "targetPath"), audience(d), text(d, "createdAt"),
                                status(d)});
            }
        }
    }

    @Command(name = "show", description = "A deployment with its devices counted by state.", mixinStandardHelpOptions = true)
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode d = get(BASE + "/" + seg(id));
            if (d == null) {
                return;
            }
            out().println("id:       " + text(d, "id"));
            out().println("target:   " + text(d, "targetPath"));
            out().println("to:       " + audience(d));
            out().println("created:  " + text(d, "createdAt"));
            out().println("status:   " + status(d));
        }
    }

    static String audience(JsonNode d) {
        return d.path("deviceId").isTextual() ? "device " + d.path("deviceId").asText()
                : "group " + text(d, "group");
    }

    /** Device counts by state, e.g. {@code assigned=2 committed=1}; "no devices" when empty. */
    static String status(JsonNode d) {
        StringJoiner j = new StringJoiner(" ");
        d.path("status").properties().forEach(e -> j.add(e.getKey() + "=" + e.getValue().asText()));
        return j.length() == 0 ? "no devices" : j.toString();
    }
}
