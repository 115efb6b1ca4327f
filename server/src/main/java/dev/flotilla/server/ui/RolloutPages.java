package dev.flotilla.server.ui;

import dev.flotilla.server.auth.Role;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.events.FleetListener;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.http.QueryParams;
import dev.flotilla.server.releases.ReleaseDetails;
import dev.flotilla.server.rollouts.Actions;
import dev.flotilla.server.rollouts.Rollout;
import dev.flotilla.server.rollouts.RolloutRequest;
import dev.flotilla.server.rollouts.Rollouts;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The rollout pages: the list ({@code /ui/rollouts}, or a release's: {@code ?target=PATH}), the create form with its preview
 * ({@code /ui/rollouts/new}), a rollout's live page ({@code /ui/rollouts/{id}}, kept current by the stream
 * {@code /ui/rollouts/{id}/live}) and its actions, each behind a confirmation step
 * ({@code /ui/rollouts/{id}/confirm/{action}}, then {@code POST /ui/rollouts/{id}/{action}}). Reading is for
 * viewers, creating and acting for operators; both go through the same services as the API, audited alike.
 */
final class RolloutPages {
    static final int PAGE_SIZE = 50;

    /** The list: one page of rollouts, newest first; only those of the release {@code target} when not null. */
    public record ListPage(List<Rollout.Summary> items, int offset, Integer nextOffset, String target) {
        /** The query that keeps the filter on the paging links ({@code &target=...}), or an empty string. */
        public String filter() {
            return target == null ? "" : "&target=" + URLEncoder.encode(target, StandardCharsets.UTF_8);
        }
    }

    /** The live block: the rollout, its device states over time, and the actions the visitor may take. */
    public record Live(Rollout rollout, List<Rollout.Sample> series, List<String> actions) {
        /** What a stage asks for: {@code 10%} or {@code 25 devices}. */
        public String label(Rollout.StageView s) {
            if (s.percent() == null) {
                return s.count() + (s.count() == 1 ? " device" : " devices");
            }
            double p = s.percent();
            return (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)) + "%";
        }

        /** The series as uPlot reads it: [[seconds...], [pending...], [in progress...], ...]. */
        public String seriesJson() {
            StringBuilder b = new StringBuilder("[");
            List<java.util.function.ToLongFunction<Rollout.Sample>> columns = List.of(s -> s.at() / 1000,
                    Rollout.Sample::pending, Rollout.Sample::inProgress, Rollout.Sample::committed,
                    Rollout.Sample::failed, Rollout.Sample::stopped);
            for (int c = 0; c < columns.size(); c++) {
                b.append(c == 0 ? "[" : ",[");
                for (int i = 0; i < series.size(); i++) {
                    b.append(i == 0 ? "" : ",").append(columns.get(c).applyAsLong(series.get(i)));
                }
                b.append(']');
            }
            return b.append(']').toString();
        }
    }

    /** A confirmation step: the action, its question, what it does, and the button's words. */
    public record Confirm(String action, String question, String effect, String button) {
    }

    /** The rollout page: the live block, an open confirmation (or null) and a notice after an action. */
    public record Show(Live live, Confirm confirm, String notice) {
    }

    /**
     * The create form: values, errors by field, an error not about one field, a preview (with, for a ramp, its
     * rate steps over the devices selected; else null), the releases.
     */
    public record Form(RolloutForm form, Map<String, String> errors, String error, Rollout.Preview preview,
                       RampPreview ramp, List<ReleaseDetails.Detail> releases) {
        public String errorOf(String field) {
            return errors.get(field);
        }
    }

    private final Rollouts rollouts;
    private final ReleaseDetails releases;
    private final RolloutSnapshots snapshots;
    private final View view;

    RolloutPages(Rollouts rollouts, ReleaseDetails releases, View view) {
        this.rollouts = rollouts;
        this.releases = releases;
        this.snapshots = new RolloutSnapshots(rollouts);
        this.view = view;
    }

    void register(Gate gate, LiveStreams live) {
        gate.page(HandlerType.GET, "/ui/rollouts", Role.VIEWER, (ctx, v) -> {
            Page.Request req = Page.Request.from(ctx, "target");
            String target = ctx.queryParam("target");
            target = target == null || target.isBlank() ? null : target;
            Page<Rollout.Summary> page = rollouts.summaries(new Page.Request(req.offset(), PAGE_SIZE), target);
            view.render(ctx, 200, "rollouts.jte", v.chrome("Rollouts", "rollouts"),
                    new ListPage(page.items(), page.offset(), page.nextOffset(), target));
        });
        gate.page(HandlerType.GET, "/ui/rollouts/new", Role.OPERATOR, (ctx, v) -> view.render(ctx, 200,
                "rolloutNew.jte", v.chrome("New rollout", "rollouts"), form(RolloutForm.empty(), null, null)));
        gate.page(HandlerType.POST, "/ui/rollouts/preview", Role.OPERATOR, (ctx, v) -> preview(ctx, v));
        gate.page(HandlerType.POST, "/ui/rollouts", Role.OPERATOR, (ctx, v) -> create(ctx, v));
        live.register("/ui/rollouts/{rolloutId}/live", Role.VIEWER, "rollout", (ctx, v) -> {
            String id = ctx.pathParam("rolloutId");
            snapshots.get(id, RolloutSnapshots.FRESH); // an unknown rollout: 404 before the stream opens
            return () -> view.fragment("rolloutLive.jte", live(id, v, RolloutSnapshots.FRESH));
        });
        gate.page(HandlerType.GET, "/ui/rollouts/{rolloutId}", Role.VIEWER, (ctx, v) -> {
            QueryParams.requireOnly(ctx, List.of("done"));
            show(ctx, v, null, notice(ctx.queryParam("done")));
        });
        gate.page(HandlerType.GET, "/ui/rollouts/{rolloutId}/confirm/{action}", Role.OPERATOR, (ctx, v) ->
                show(ctx, v, confirm(action(ctx)), null));
        gate.page(HandlerType.POST, "/ui/rollouts/{rolloutId}/{action}", Role.OPERATOR, (ctx, v) -> {
            String id = ctx.pathParam("rolloutId");
            String action = action(ctx);
            rollouts.actions().act(id, action, v.operator().actor());
            snapshots.forget(id);
            redirect(ctx, "/ui/rollouts/" + enc(id) + "?done=" + action);
        });
    }

    /**
     * What the rollout pages take from the event stream: a rollout's transition, stage start or halt (made by
     * this server: an operator, the API or the evaluator) drops its snapshot and makes the live streams check at
     * once, so an open page shows it without waiting for its next check.
     */
    FleetListener changes(LiveStreams live) {
        return new FleetListener() {
            @Override
            public void rolloutTransition(Transition t) {
                changed(t.rolloutId());
            }

            @Override
            public void stageStarted(StageStart stage) {
                changed(stage.rolloutId());
            }

            @Override
            public void halted(GateEvaluation failing) {
                changed(failing.rolloutId());
            }

            private void changed(String rolloutId) {
                snapshots.forget(rolloutId);
                live.changed();
            }
        };
    }

    private void show(Context ctx, Gate.Visit v, Confirm confirm, String notice) {
        String id = ctx.pathParam("rolloutId");
        Live live = live(id, v, Duration.ZERO);
        if (confirm != null && !live.actions().contains(confirm.action())) {
            throw new DomainError.Conflict("invalid_state", "This rollout is " + live.rollout().state()
                    + " now: " + confirm.action() + " is not possible. Nothing was changed.");
        }
        view.render(ctx, 200, "rollout.jte", v.chrome("Rollout " + id, "rollouts"), new Show(live, confirm, notice));
    }

    private Live live(String id, Gate.Visit v, Duration maxAge) {
        RolloutSnapshots.Snapshot s = snapshots.get(id, maxAge);
        List<String> actions = v.operator().role().covers(Role.OPERATOR) ? Actions.offered(s.rollout()) : List.of();
        return new Live(s.rollout(), s.series(), actions);
    }

    private void preview(Context ctx, Gate.Visit v) {
        RolloutForm f = RolloutForm.from(ctx);
        Form page;
        try {
            RolloutRequest req = f.request();
            Rollout.Preview p = rollouts.preview(req);
            RampPreview ramp = req.plan().ramp() == null ? null : RampPreview.of(req.plan().ramp(), p.selected());
            page = new Form(f, Map.of(), null, p, ramp, releases.all());
        } catch (RolloutForm.Refused | DomainError e) {
            page = refused(f, e);
        }
        view.render(ctx, 200, "rolloutNew.jte", v.chrome("New rollout", "rollouts"), page);
    }

    private void create(Context ctx, Gate.Visit v) {
        RolloutForm f = RolloutForm.from(ctx);
        Rollout created;
        try {
            RolloutRequest req = f.request();
            created = rollouts.create(req, v.operator().actor());
        } catch (RolloutForm.Refused | DomainError e) {
            view.render(ctx, e instanceof DomainError d ? Gate.status(d) : 400, "rolloutNew.jte",
                    v.chrome("New rollout", "rollouts"), refused(f, e));
            return;
        }
        redirect(ctx, "/ui/rollouts/" + enc(created.id()) + "?done=create");
    }

    private Form refused(RolloutForm f, RuntimeException e) {
        String field = e instanceof RolloutForm.Refused r ? r.field : RolloutForm.fieldOf((DomainError) e);
        return field == null ? new Form(f, Map.of(), e.getMessage(), null, null, releases.all())
                : new Form(f, Map.of(field, e.getMessage()), null, null, null, releases.all());
    }

    private Form form(RolloutForm f, Map<String, String> errors, Rollout.Preview preview) {
        return new Form(f, errors == null ? Map.of() : errors, null, preview, null, releases.all());
    }

    private static String action(Context ctx) {
        String action = ctx.pathParam("action");
        if (!List.of("start", "pause", "resume", "abort", "advance", "approve", "retry").contains(action)) {
            throw new DomainError.NotFound("rollout action '" + action + "'");
        }
        return action;
    }

    /** The confirmation step of {@code action}. */
    static Confirm confirm(String action) {
        return switch (action) {
            case "start" -> new Confirm(action, "Start this rollout?", "Its first stage admits its devices now (or"
                    + " at its start time).", "Start rollout");
            case "pause" -> new Confirm(action, "Pause this rollout?", "No stage starts and no device is admitted"
                    + " while it is paused; devices keep the assignments they have.", "Pause rollout");
            case "resume" -> new Confirm(action, "Resume this rollout?", "The failures seen so far are acknowledged"
                    + " (the gates no longer count them) and withdrawn devices are admitted again.", "Resume rollout");
            case "abort" -> new Confirm(action, "Abort this rollout?", "For good: devices that have not started on it"
                    + " are withdrawn, and it cannot be resumed.", "Abort rollout");
            case "advance" -> new Confirm(action, "Start the next stage now?", "The next stage starts at once,"
                    + " without waiting for the soak time or an approval.", "Advance to the next stage");
            case "approve" -> new Confirm(action, "Approve the next stage?", "It starts once the current stage is"
                    + " done and has soaked.", "Approve the next stage");
            default -> new Confirm(action, "Retry the failed devices?", "Failed, rolled back and timed-out devices"
                    + " get a new assignment, each at most as often as the rollout's maxRetries allows, once its retry"
                    + " backoff since its failure has passed (the others wait and are retried when due).",
                    "Retry failed devices");
        };
    }

    private static String notice(String done) {
        if (done == null) {
            return null;
        }
        return switch (done) {
            case "create" -> "Rollout created.";
            case "start", "pause", "resume", "abort", "advance", "approve", "retry" -> "Done: " + done + ".";
            default -> null;
        };
    }

    private static void redirect(Context ctx, String to) {
        ctx.redirect(to, HttpStatus.SEE_OTHER);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
