package dev.flotilla.cli.deployments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Examples;
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

/**
 * {@code flotilla deployments}: assign a released target to a device, a group or a tag, follow it, cancel it.
 */
@Command(name = "deployments", aliases = "deployment",
        description = "Create, follow and cancel deployments.", mixinStandardHelpOptions = true,
        subcommands = {DeploymentsCommand.Create.class, DeploymentsCommand.ListDeployments.class,
                DeploymentsCommand.Show.class, DeploymentsCommand.Cancel.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla deployments create --target firmware-1.1.0.img --group berlin",
                "  flotilla deployments create --target firmware-1.1.0.img \\",
                "      --device dev_uIQgGDF78wX2Yr7A --forced",
                "  flotilla deployments list",
                "  flotilla deployments show dep_Qn3k2PzX9aB7cD1e",
                "  flotilla deployments cancel dep_Qn3k2PzX9aB7cD1e"})
public final class DeploymentsCommand {
    private static final String BASE = "/api/v1/deployments";

    static final class Audience {
        @Option(names = "--device", paramLabel = "ID", required = true, description = "One device.")
        String device;
        @Option(names = "--group", paramLabel = "G", required = true,
                description = "The group's active devices, and those that join while the deployment is active.")
        String group;
        @Option(names = "--tag", paramLabel = "TAG", required = true,
                description = "The active devices with this tag, and those that get it while the deployment is active.")
        String tag;
    }

    @Command(name = "create", description = "Deploy a released target (by its path) to a device, a group or a tag.",
            mixinStandardHelpOptions = true)
    static final class Create extends ApiCommand {
        @Option(names = "--target", paramLabel = "T", required = true, description = "The target path, e.g. fw-1.1.bin.")
        String target;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Audience audience;
        @Option(names = "--forced", description = "Install at once, ignoring the devices' maintenance windows "
                + "(signed into each assignment).")
        boolean forced;
        @Option(names = "--allow-empty", description = "Deploy to a group or tag even when none of its devices is "
                + "hardware the release runs on yet (for devices that join later); without it that is refused, "
                + "as a misspelt name most often is.")
        boolean allowEmpty;

        @Override
        protected void run() throws IOException {
            var body = object().put("target", target);
            if (audience.device != null) {
                body.put("deviceId", audience.device);
            } else if (audience.group != null) {
                body.put("group", audience.group);
            } else {
                body.put("tag", audience.tag);
            }
            if (forced) {
                body.put("forced", true);
            }
            if (allowEmpty) {
                body.put("allowEmpty", true);
            }
            JsonNode d = send("POST", BASE, body);
            if (d != null) {
                out().println("deployment " + text(d, "id") + ": " + text(d, "targetPath") + " to " + audience(d)
                        + (d.path("forced").asBoolean() ? ", forced" : "") + " (" + status(d) + ")");
                JsonNode reach = d.path("reach");
                StringJoiner hardware = new StringJoiner(", ");
                reach.path("hardwareIds").forEach(h -> hardware.add(h.asText()));
                out().println(reach.path("matchingHardware").asInt() + " of " + reach.path("members").asInt()
                        + " active device(s) match hardware " + hardware);
            }
        }
    }

    @Command(name = "cancel", description = "Cancel a deployment: it assigns no device that joins its group or tag "
            + "later (assignments already issued stay).", mixinStandardHelpOptions = true)
    static final class Cancel extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode d = send("POST", BASE + "/" + seg(id) + "/cancel", object());
            if (d != null) {
                out().println("deployment " + text(d, "id") + " " + text(d, "state") + " at " + text(d, "cancelledAt"));
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
                printPage(page, new Table("ID", "TARGET", "TO", "STATE", "CREATED", "STATUS"),
                        d -> new Object[]{text(d, "id"), text(d, "targetPath"), audience(d), state(d),
                                text(d, "createdAt"), status(d)});
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
            out().println("state:    " + state(d));
            out().println("forced:   " + d.path("forced").asBoolean());
            out().println("created:  " + text(d, "createdAt"));
            if (d.path("cancelledAt").isTextual()) {
                out().println("cancelled: " + text(d, "cancelledAt"));
            }
            out().println("status:   " + status(d));
        }
    }

    static String audience(JsonNode d) {
        if (d.path("deviceId").isTextual()) {
            return "device " + d.path("deviceId").asText();
        }
        return d.path("tag").isTextual() ? "tag " + text(d, "tag") : "group " + text(d, "group");
    }

    /** {@code active} or {@code cancelled}, with {@code forced} when it is. */
    static String state(JsonNode d) {
        return text(d, "state") + (d.path("forced").asBoolean() ? ", forced" : "");
    }

    /** Device counts by state, e.g. {@code assigned=2 committed=1}; "no devices" when empty. */
    static String status(JsonNode d) {
        StringJoiner j = new StringJoiner(" ");
        d.path("status").properties().forEach(e -> j.add(e.getKey() + "=" + e.getValue().asText()));
        return j.length() == 0 ? "no devices" : j.toString();
    }
}
