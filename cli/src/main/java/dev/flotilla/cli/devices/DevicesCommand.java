package dev.flotilla.cli.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Examples;
import dev.flotilla.cli.support.NewestFirst;
import dev.flotilla.cli.support.Paging;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code flotilla devices}: the inventory through the management API. */
@Command(name = "devices", aliases = "device",
        description = "List, count, inspect, tag, group, decommission, re-commission and delete devices;"
        + " set groups' maintenance windows.",
        mixinStandardHelpOptions = true,
        subcommands = {DevicesCommand.ListDevices.class, DevicesSummary.class, DevicesCommand.Show.class, DevicesCommand.Events.class,
                DevicesCommand.Tag.class, DevicesCommand.Group.class, DevicesCommand.Decommission.class,
                DevicesCommand.Recommission.class, DevicesCommand.Delete.class, GroupWindowCommand.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla devices list --hardware devboard --connectivity offline",
                "  flotilla devices summary --json",
                "  flotilla devices list --installed-version 1.1.0 --json",
                "  flotilla devices list --rollout rol_UazAWuxfXTPobvcJ --rollout-state failed",
                "  flotilla devices list --status active --security-version behind",
                "  flotilla devices show dev_uIQgGDF78wX2Yr7A",
                "  flotilla devices events dev_uIQgGDF78wX2Yr7A --newest-first",
                "  flotilla devices tag dev_uIQgGDF78wX2Yr7A --tag lab --tag canary",
                "  flotilla devices group dev_uIQgGDF78wX2Yr7A --group berlin",
                "  flotilla devices group-window set berlin --window '0 2 * * *' \\",
                "      --window-minutes 120",
                "  flotilla devices decommission dev_uIQgGDF78wX2Yr7A",
                "  flotilla devices recommission dev_uIQgGDF78wX2Yr7A",
                "  flotilla devices delete dev_uIQgGDF78wX2Yr7A"})
public final class DevicesCommand {
    private static final String BASE = "/api/v1/devices";

    @Command(name = "list", description = "List devices, optionally filtered.", mixinStandardHelpOptions = true)
    static final class ListDevices extends ApiCommand {
        @Option(names = "--hardware", paramLabel = "H", description = "Only this hardware id.")
        String hardware;
        @Option(names = "--tag", paramLabel = "T", description = "Only devices with this tag.")
        String tag;
        @Option(names = "--group", paramLabel = "G", description = "Only this group.")
        String group;
        @Option(names = "--status", paramLabel = "S", description = "active or decommissioned.")
        String status;
        @Option(names = "--installed-version", paramLabel = "V",
                description = "Only devices whose latest manifest names a release of this firmware version.")
        String installedVersion;
        @Option(names = "--health", paramLabel = "STATE", description = "Only devices reporting this healthState.")
        String health;
        @Option(names = "--attribute", paramLabel = "NAME=VALUE", description = "Only devices with this attribute.")
        String attribute;
        @Option(names = "--search", paramLabel = "PREFIX", description = "Only devices whose id or key id starts so.")
        String search;
        @Option(names = "--connectivity", paramLabel = "C",
                description = "online (seen within two poll intervals plus jitter) or offline.")
        String connectivity;
        @Option(names = "--rollout", paramLabel = "ID", description = "Only devices this rollout (or deployment) admitted.")
        String rollout;
        @Option(names = "--rollout-state", paramLabel = "STATE",
                description = "With --rollout: only devices in this state of its funnel: pending, downloading,"
                        + " downloaded, installing, trial, committed, failed, rolled_back, timed_out, withdrawn,"
                        + " superseded, skipped or reverted.")
        String rolloutState;
        @Option(names = "--security-version", paramLabel = "behind|current",
                description = "behind: only devices whose security version is below the newest of their hardware's"
                        + " releases; current: only those at it.")
        String securityVersion;
        @Option(names = "--trusted-root", paramLabel = "behind|current",
                description = "behind: only devices trusting a root older than the current one; current: only those"
                        + " trusting the current root.")
        String trustedRoot;
        @Mixin
        Paging paging;

        @Override
        protected void run() throws IOException {
            Map<String, Object> q = paging.params();
            q.put("hardwareId", hardware);
            q.put("tag", tag);
            q.put("group", group);
            q.put("status", status);
            q.put("installedVersion", installedVersion);
            q.put("health", health);
            q.put("attribute", attribute);
            q.put("q", search);
            q.put("connectivity", connectivity);
            q.put("rollout", rollout);
            q.put("rolloutState", rolloutState);
            q.put("securityVersion", securityVersion);
            q.put("trustedRoot", trustedRoot);
            JsonNode page = get(query(BASE, q));
            if (page != null) {
                printPage(page, new Table("ID", "HARDWARE", "INSTALLED", "HEALTH", "GROUP", "TAGS", "STATUS",
                                "LAST SEEN"),
                        d -> new Object[]{text(d, "id"), text(d, "hardwareId"), installed(d), text(d, "health"),
                                text(d, "group"), tags(d), text(d, "status"), text(d, "lastSeenAt")});
            }
        }

        /** The installed release's version, else its target path (not a release here), else "-". */
        private static String installed(JsonNode d) {
            String version = text(d, "installedVersion");
            return "-".equals(version) ? text(d, "installedTarget") : version;
        }
    }

    @Command(name = "show", description = "A device and its latest verified manifest.", mixinStandardHelpOptions = true)
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode r = get(BASE + "/" + seg(id));
            if (r == null) {
                return;
            }
            JsonNode d = r.path("device");
            out().println("id:         " + text(d, "id"));
            out().println("hardware:   " + text(d, "hardwareId"));
            out().println("status:     " + text(d, "status"));
            out().println("group:      " + text(d, "group"));
            out().println("tags:       " + tags(d));
            out().println("key id:     " + text(d, "keyId"));
            out().println("created:    " + text(d, "createdAt"));
            out().println("last seen:  " + text(d, "lastSeenAt"));
            JsonNode attrs = d.path("attributes");
            if (attrs.isObject() && !attrs.isEmpty()) {
                out().println("attributes: " + attrs);
            }
            JsonNode m = r.path("manifest");
            if (!m.isObject()) {
                out().println("manifest:   none yet");
                return;
            }
            out().println("manifest:");
            m.properties().forEach(e -> out().println("  " + e.getKey() + ": "
                    + (e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString())));
        }
    }

    @Command(name = "events", description = "A device's reported events.", mixinStandardHelpOptions = true)
    static final class Events extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;
        @Mixin
        Paging paging;
        @Mixin
        NewestFirst order;

        @Override
        protected void run() throws IOException {
            JsonNode page = get(query(BASE + "/" + seg(id) + "/events", order.addTo(paging.params())));
            if (page != null) {
                printPage(page, new Table("OCCURRED", "RECEIVED", "TYPE", "EVENT ID", "DETAILS"),
                        e -> new Object[]{text(e, "occurredAt"), text(e, "receivedAt"), text(e, "type"),
                                text(e, "eventId"), text(e, "details")});
            }
        }
    }

    @Command(name = "tag", description = "Replace a device's tags.", mixinStandardHelpOptions = true)
    static final class Tag extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;
        @Option(names = "--tag", paramLabel = "T", arity = "1..*", description = "The tags (replace the current ones).")
        List<String> tags = new ArrayList<>();

        @Override
        protected void run() throws IOException {
            var body = object();
            var arr = body.putArray("tags");
            tags.forEach(arr::add);
            JsonNode d = send("PUT", BASE + "/" + seg(id) + "/tags", body);
            if (d != null) {
                out().println("device " + text(d, "id") + " tags: " + tags(d));
            }
        }
    }

    @Command(name = "group", description = "Set (or with --none clear) a device's group.", mixinStandardHelpOptions = true)
    static final class Group extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;
        @Option(names = "--group", paramLabel = "G", description = "The group.")
        String group;
        @Option(names = "--none", description = "Remove the device from its group.")
        boolean none;

        @Override
        protected void run() throws IOException {
            if (none == (group != null)) {
                throw new IllegalArgumentException("pass exactly one of --group G and --none");
            }
            var body = object();
            if (none) {
                body.putNull("group");
            } else {
                body.put("group", group);
            }
            JsonNode d = send("PUT", BASE + "/" + seg(id) + "/group", body);
            if (d != null) {
                out().println("device " + text(d, "id") + " group: " + text(d, "group"));
            }
        }
    }

    @Command(name = "decommission", description = "Decommission a device (its tokens stop working).",
            mixinStandardHelpOptions = true)
    static final class Decommission extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode d = send("POST", BASE + "/" + seg(id) + "/decommission", object());
            if (d != null) {
                out().println("device " + text(d, "id") + " " + text(d, "status"));
            }
        }
    }

    @Command(name = "recommission", description = "Re-commission a decommissioned device (it may log in again).",
            mixinStandardHelpOptions = true)
    static final class Recommission extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode d = send("POST", BASE + "/" + seg(id) + "/recommission", object());
            if (d != null) {
                out().println("device " + text(d, "id") + " " + text(d, "status"));
            }
        }
    }

    @Command(name = "delete", description = "Delete a device record with its tokens, manifest, events and assignment"
            + " (admin).", mixinStandardHelpOptions = true)
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode d = send("DELETE", BASE + "/" + seg(id), null);
            if (d != null) {
                out().println("device " + text(d, "id") + " deleted");
            }
        }
    }

    static String tags(JsonNode d) {
        List<String> t = new ArrayList<>();
        d.path("tags").forEach(n -> t.add(n.asText()));
        return t.isEmpty() ? "-" : String.join(",", t);
    }
}
