package dev.flotilla.cli.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Examples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;

/**
 * {@code flotilla devices group-window}: a device group's maintenance window. A device of the group installs
 * only inside it when its rollout sets no window of its own (the rollout's window wins).
 */
@Command(name = "group-window", aliases = "group-windows",
        description = "Show, set or clear a device group's maintenance window (used when "
        + "a rollout sets none).", mixinStandardHelpOptions = true,
        subcommands = {GroupWindowCommand.Show.class, GroupWindowCommand.Set.class, GroupWindowCommand.Clear.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla devices group-window set berlin --window '0 2 * * *' \\",
                "      --window-minutes 120 --window-zone Europe/Berlin",
                "  flotilla devices group-window show berlin",
                "  flotilla devices group-window clear berlin"})
public final class GroupWindowCommand {
    private GroupWindowCommand() {
    }

    /** A command on one group's window: its path, and the readable answer. */
    abstract static class OnGroup extends ApiCommand {
        @Parameters(paramLabel = "GROUP")
        String group;

        String path() {
            return "/api/v1/groups/" + seg(group) + "/maintenance-window";
        }

        void print(JsonNode g) {
            if (g == null) {
                return;
            }
            JsonNode w = g.path("maintenanceWindow");
            out().println("group " + text(g, "group") + " (" + g.path("devices").asLong() + " devices): "
                    + (w.isObject() ? "window '" + text(w, "cron") + "' for " + w.path("durationMinutes").asLong()
                    + " min (" + text(w, "zone") + ")" : "no window"));
            if (g.has("resigned")) {
                out().println("re-signed assignments: " + g.path("resigned").asLong());
            }
        }
    }

    @Command(name = "show", description = "A group's maintenance window.", mixinStandardHelpOptions = true)
    static final class Show extends OnGroup {
        @Override
        protected void run() throws IOException {
            print(get(path()));
        }
    }

    @Command(name = "set", description = "Set (or replace) a group's maintenance window; the group's devices get "
            + "it in their signed assignments.", mixinStandardHelpOptions = true)
    static final class Set extends OnGroup {
        @Option(names = "--window", paramLabel = "CRON", required = true,
                description = "Window start, 5 cron fields, e.g. '0 2 * * *'.")
        String cron;
        @Option(names = "--window-minutes", paramLabel = "N", required = true, description = "Window length in minutes.")
        long minutes;
        @Option(names = "--window-zone", paramLabel = "ZONE", description = "Time zone (default UTC).")
        String zone;

        @Override
        protected void run() throws IOException {
            var body = object();
            body.put("cron", cron);
            body.put("durationMinutes", minutes);
            if (zone != null) {
                body.put("zone", zone);
            }
            print(send("PUT", path(), body));
        }
    }

    @Command(name = "clear", description = "Clear a group's maintenance window.", mixinStandardHelpOptions = true)
    static final class Clear extends OnGroup {
        @Override
        protected void run() throws IOException {
            print(send("DELETE", path(), null));
        }
    }
}
