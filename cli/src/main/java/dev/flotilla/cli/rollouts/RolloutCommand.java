package dev.flotilla.cli.rollouts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.cli.support.ApiCommand;
import dev.flotilla.cli.support.Examples;
import dev.flotilla.cli.support.Paging;
import dev.flotilla.cli.support.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;

import static dev.flotilla.cli.support.ApiCommand.text;

/**
 * {@code flotilla rollout}: staged rollouts of a release over a selection of devices ({@code /api/v1/rollouts}):
 * create or preview one, act on it (start, pause, resume, abort, advance, approve, retry), follow it (show,
 * list, devices; {@code status} is a hidden alias of {@code show}, its earlier name). Every subcommand takes {@code --json} (the server's answer as is).
 */
@Command(name = "rollout", aliases = "rollouts", description = "Create, preview, follow and steer staged rollouts.",
        mixinStandardHelpOptions = true,
        subcommands = {RolloutCommand.Create.class, RolloutCommand.Preview.class, RolloutCommand.Start.class,
                RolloutCommand.Pause.class, RolloutCommand.Resume.class, RolloutCommand.Abort.class,
                RolloutCommand.Advance.class, RolloutCommand.Approve.class, RolloutCommand.Retry.class,
                RolloutCommand.Show.class, RolloutCommand.ListRollouts.class, RolloutCommand.Devices.class,
                RolloutCommand.Status.class},
        modelTransformer = Examples.class, footerHeading = "%nExamples:%n",
        footer = {"  flotilla rollout preview --release firmware-1.1.0.img --hardware devboard",
                "  flotilla rollout create --release firmware-1.1.0.img --hardware devboard \\",
                "      --start",
                "  flotilla rollout create --release firmware-1.1.0.img --tag canary \\",
                "      --plan plan.json --dry-run",
                "  flotilla rollout list --state active",
                "  flotilla rollout show rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout devices rol_UazAWuxfXTPobvcJ --state failed",
                "  flotilla rollout start rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout pause rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout resume rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout advance rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout approve rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout retry rol_UazAWuxfXTPobvcJ",
                "  flotilla rollout abort rol_UazAWuxfXTPobvcJ"})
public final class RolloutCommand {
    static final String BASE = "/api/v1/rollouts";

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a rollout of a release "
            + "(validated by the server before anything is stored); it waits for 'rollout start' unless --start.")
    static final class Create extends ApiCommand {
        @Mixin
        RolloutSpec spec;
        @Option(names = "--supersede", description = "Take over devices that other rollouts hold (otherwise refused).")
        boolean supersede;
        @Option(names = "--start", description = "Start at once.")
        boolean start;
        @Option(names = "--dry-run", description = "Only show the cohort sizes the plan produces (as 'rollout preview').")
        boolean dryRun;

        @Override
        protected void run() throws IOException {
            var body = spec.body();
            if (dryRun) {
                JsonNode p = send("POST", BASE + "/preview", body);
                if (p != null) {
                    RolloutView.preview(p, body.path("plan"), out());
                }
                return;
            }
            if (supersede) {
                body.put("supersede", true);
            }
            if (start) {
                body.put("start", true);
            }
            JsonNode r = send("POST", BASE, body);
            if (r != null) {
                out().println("rollout " + text(r, "id") + ": " + text(r, "targetPath") + " to " + r.path("selected")
                        .asInt() + " device(s), " + r.path("stages").size() + " stage(s) (" + text(r, "state") + ")");
                RolloutView.stageSizes(r, out());
            }
        }
    }

    @Command(name = "preview", mixinStandardHelpOptions = true,
            description = "Show how many devices the selection holds and each stage's size; stores nothing.")
    static final class Preview extends ApiCommand {
        @Mixin
        RolloutSpec spec;

        @Override
        protected void run() throws IOException {
            var body = spec.body();
            JsonNode p = send("POST", BASE + "/preview", body);
            if (p != null) {
                RolloutView.preview(p, body.path("plan"), out());
            }
        }
    }

    /** An operator action: {@code POST /api/v1/rollouts/{id}/ACTION}, then the rollout's state in one line. */
    abstract static class Action extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The rollout's id (rol_...).")
        String id;

        abstract String action();

        @Override
        protected void run() throws IOException {
            JsonNode r = send("POST", BASE + "/" + seg(id) + "/" + action(), object());
            if (r != null) {
                out().println("rollout " + text(r, "id") + ": " + RolloutView.summary(r));
                String numbers = RolloutView.acted(r.path("acted"));
                if (!numbers.isEmpty()) {
                    out().println("  " + numbers);
                }
            }
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a created rollout: its first stage starts now (or at its --start-at).")
    static final class Start extends Action {
        String action() {
            return "start";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause: no stage starts and no device is admitted; assignments already given stay.")
    static final class Pause extends Action {
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused or halted rollout; "
            + "the failures seen so far are acknowledged (the gates no longer count them).")
    static final class Resume extends Action {
        String action() {
            return "resume";
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true,
            description = "Abort for good; assignments devices have not started on are withdrawn.")
    static final class Abort extends Action {
        String action() {
            return "abort";
        }
    }

    @Command(name = "advance", mixinStandardHelpOptions = true,
            description = "Start the next stage now, without waiting for the soak time or an approval.")
    static final class Advance extends Action {
        String action() {
            return "advance";
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve the next stage (for stages with \"approval\": true).")
    static final class Approve extends Action {
        String action() {
            return "approve";
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true, description = "Give failed, rolled back and timed "
            + "out devices a new assignment, each at most the policy's maxRetries times and once its retry backoff "
            + "since its failure has passed: the others wait and the server retries them when due (prints how "
            + "many were retried now, how many wait and when the next is due).")
    static final class Retry extends Action {
        String action() {
            return "retry";
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "A rollout: each stage's funnel, "
            + "the current stage's gates against their thresholds, why it halted, failures by reason.")
    static class Show extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The rollout's id (rol_...).")
        String id;

        @Override
        protected void run() throws IOException {
            JsonNode r = get(BASE + "/" + seg(id));
            if (r != null) {
                RolloutView.status(r, out());
            }
        }
    }

    /** {@code rollout status ID}: the earlier name of {@code rollout show}, kept working but not listed. */
    @Command(name = "status", hidden = true, mixinStandardHelpOptions = true,
            description = "The earlier name of 'rollout show'.")
    static final class Status extends Show {
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List rollouts (and deployments, which are one-stage rollouts), newest first.")
    static final class ListRollouts extends ApiCommand {
        @Mixin
        Paging paging;
        @Option(names = "--state", paramLabel = "STATE", description = "Only rollouts in this state: created, active, "
                + "paused, halted, aborted (deployments also cancelled, closed).")
        String state;

        @Override
        protected void run() throws IOException {
            var params = paging.params();
            params.put("state", state);
            JsonNode page = get(query(BASE, params));
            if (page != null) {
                printPage(page, new Table("ID", "KIND", "RELEASE", "STATE", "STAGE", "SELECTED", "COMMITTED",
                        "FAILED", "CREATED"), r -> new Object[]{text(r, "id"), text(r, "kind"), text(r, "targetPath"),
                        text(r, "state"), RolloutView.stage(r), r.path("selected").asInt(),
                        RolloutView.total(r, "committed"), RolloutView.failures(r), text(r, "createdAt")});
            }
        }
    }

    @Command(name = "devices", mixinStandardHelpOptions = true, description = "A rollout's devices by id: the stage "
            + "that admitted each, its state there, the reason of a failure and when it last changed.")
    static final class Devices extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The rollout's id (rol_...).")
        String id;
        @Option(names = "--state", paramLabel = "STATE", description = "Only devices in this funnel state: pending, "
                + "downloading, downloaded, installing, trial, committed, failed, rolled_back, timed_out, withdrawn, "
                + "superseded, skipped, reverted.")
        String state;
        @Option(names = "--after", paramLabel = "DEVICE", description = "Start after this device id (the next page).")
        String after;
        @Option(names = "--limit", paramLabel = "N", description = "Page size (server default 50, at most 500).")
        Integer limit;

        @Override
        protected void run() throws IOException {
            java.util.Map<String, Object> params = new java.util.LinkedHashMap<>();
            params.put("state", state);
            params.put("after", after);
            params.put("limit", limit);
            JsonNode page = get(query(BASE + "/" + seg(id) + "/devices", params));
            if (page == null) {
                return;
            }
            Table t = new Table("DEVICE", "STAGE", "STATE", "REASON", "UPDATED");
            for (JsonNode d : page.path("items")) {
                t.row(text(d, "deviceId"), d.path("stage").asInt() + 1, text(d, "state"), text(d, "reason"),
                        text(d, "updatedAt"));
            }
            t.print(out());
            if (page.path("nextAfter").isTextual()) {
                out().println("(more: --after " + page.path("nextAfter").asText() + ")");
            }
        }
    }
}
