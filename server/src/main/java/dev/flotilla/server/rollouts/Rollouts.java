package dev.flotilla.server.rollouts;

import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.devices.MembershipListener;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.events.FleetEvents;
import dev.flotilla.server.events.FleetListener;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.store.Consistency;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Staged rollouts: the one engine that hands out director assignments. A rollout is one signed release, a
 * selection, a plan and policies ({@link RolloutRequest}); its stages admit devices ({@link Admission}), the
 * {@link Evaluator} times out, gates and advances them, operators act on them ({@link Actions}). A deployment
 * ({@code POST /api/v1/deployments}) is a rollout of one 100% stage without gates ({@link #recordDeployment}).
 * One active rollout per device: a rollout whose devices another rollout holds is refused unless it supersedes.
 */
public final class Rollouts {
    private final Jdbi jdbi;
    private final Director director;
    private final Assignments assignments;
    private final Admission admission;
    private final Evaluator evaluator;
    private final PositionFill fill;
    private final MembershipAssignments membership;
    private final Actions actions;
    private final GroupWindows groupWindows;
    private final AuditLog audit;
    private final Clock clock;
    private final FleetEvents events;
    private final Consistency consistency;

    /** Rollouts that tell no listener and settle nothing (one server without a check-in cache). */
    public Rollouts(Jdbi jdbi, TufStore tuf, Signer directorKey, AuditLog audit, Clock clock,
                    Consumer<String> onAssigned) {
        this(jdbi, tuf, directorKey, audit, clock, onAssigned, new FleetEvents(), new Consistency());
    }

    /**
     * @param onAssigned  called with each device id that got a new assignment, after the commit (wake-up)
     * @param events      told of transitions, stage starts, gate evaluations and halts after their commits
     * @param consistency settles the operator writes ({@link #create}, the {@link Actions}, the group windows)
     */
    public Rollouts(Jdbi jdbi, TufStore tuf, Signer directorKey, AuditLog audit, Clock clock,
                    Consumer<String> onAssigned, FleetEvents events, Consistency consistency) {
        this.jdbi = jdbi;
        this.audit = audit;
        this.clock = clock;
        this.events = events;
        this.consistency = consistency;
        this.director = new Director(tuf, directorKey, clock);
        Halts halts = new Halts(director, audit, events);
        this.assignments = new Assignments(jdbi, director, clock, onAssigned, halts);
        this.admission = new Admission(director, events);
        this.fill = new PositionFill(jdbi, admission, assignments, audit, clock);
        this.evaluator = new Evaluator(jdbi, admission, assignments, halts, audit, clock, events, fill);
        this.membership = new MembershipAssignments(director, audit, onAssigned, clock);
        this.actions = new Actions(jdbi, director, admission, assignments, halts, audit, clock, this::get, fill,
                events, consistency);
        this.groupWindows = new GroupWindows(jdbi, director, membership, audit, clock, onAssigned, consistency);
    }

    /** The rollouts in numbers (for metrics): by state, and the funnel of each rollout in progress. */
    public RolloutStats stats() {
        return jdbi.withHandle(RolloutStats::read);
    }

    /** Check-in's source of assignments, and the listener of device events and manifests. */
    public Assignments assignments() {
        return assignments;
    }

    /** What the device inventory tells about group and tag changes, to assign devices that join a deployment. */
    public MembershipListener membership() {
        return membership;
    }

    public Evaluator evaluator() {
        return evaluator;
    }

    /** Maintenance windows per device group, signed into assignments when a rollout sets none. */
    public GroupWindows groupWindows() {
        return groupWindows;
    }

    /** The filler of dynamic selections' kept positions (tests watch its batches). */
    PositionFill positionFill() {
        return fill;
    }

    /** Operator actions: start, pause, resume, abort, advance, approve, retry. */
    public Actions actions() {
        return actions;
    }

    /** The director (the current entry of a target, for a deployment's checks). */
    public Director director() {
        return director;
    }

    /**
     * Creates a rollout (state {@code created}, or started when asked: a dynamic selection's positions are filled
     * and its first stage admitted after the creating transaction, in batches, {@link PositionFill}). Returns once
     * every server answers check-ins accordingly ({@link Consistency#settled}).
     *
     * @throws DomainError.Invalid    {@code unknown_target}, or {@code invalid_selection} for a hardware id the
     *                                release does not run on
     * @throws DomainError.Conflict   {@code rollout_conflict} when other rollouts hold selected devices and
     *                                {@code supersede} is not set (the message counts the overlap)
     */
    public Rollout create(RolloutRequest req, Actor actor) {
        return consistency.settled(() -> createUnsettled(req, actor));
    }

    private Rollout createUnsettled(RolloutRequest req, Actor actor) {
        String id = Secrets.newId("rol_");
        boolean admitted = fill.starting(id, actor, () -> jdbi.inTransaction(h -> {
            Evaluator.lock(h);
            List<Selection.Member> members = check(h, req, id);
            h.createUpdate("""
                            INSERT INTO deployments (id, target_path, forced, state, kind, selection_json, plan_json,
                                policies_json, start_at, created_at, created_by)
                            VALUES (:id, :t, :forced, 'created', 'rollout', :s, :p, :pol, :startAt, :now, :by)""")
                    .bind("id", id).bind("t", req.target()).bind("forced", req.policies().forced())
                    .bind("s", RolloutRow.json(req.selection())).bind("p", RolloutRow.json(req.plan()))
                    .bind("pol", RolloutRow.json(req.policies()))
                    .bind("startAt", req.policies().startAt() == null ? null : req.policies().startInstant().toEpochMilli())
                    .bind("now", clock.millis()).bind("by", actor.id()).execute();
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("target", req.target());
            after.put("selected", members.size());
            audit.record(h, actor, "rollout.create", "rollout", id, null, after);
            events.after(h).rolloutTransition(new FleetListener.Transition(id, null, RolloutRow.CREATED, actor));
            return req.start() && actions.startIn(h, id, actor);
        })).value();
        if (admitted) {
            assignments.finishPending(id);
        }
        return get(id);
    }

    /** A dry run of {@link #create}: validates and shows each stage's size for the current selection. */
    public Rollout.Preview preview(RolloutRequest req) {
        return jdbi.withHandle(h -> {
            List<Selection.Member> members = members(h, req, "rol_preview");
            int[] sizes = Cohorts.sizes(req.plan(), members.size());
            return new Rollout.Preview(req.target(), members.size(), Arrays.stream(sizes).boxed().toList(),
                    Overlap.count(h, admission, members, "rol_preview"));
        });
    }

    /** Validates the request against the release and the other rollouts; returns the devices it selects. */
    private List<Selection.Member> check(Handle h, RolloutRequest req, String id) {
        List<Selection.Member> members = members(h, req, id);
        if (!req.supersede()) {
            Overlap.refuse(Overlap.count(h, admission, members, id), members.size());
        }
        return members;
    }

    private List<Selection.Member> members(Handle h, RolloutRequest req, String id) {
        TargetFile entry = director.currentEntry(h, req.target());
        List<String> hardware = FirmwareInfo.fromTarget(entry).hardwareIds();
        String hw = req.selection().hardwareId();
        if (hw != null && !hardware.contains(hw)) {
            throw new DomainError.Invalid("invalid_selection", "selection.hardwareId '" + hw + "' is not hardware target '"
                    + req.target() + "' runs on (" + String.join(", ", hardware) + ")");
        }
        RolloutRow draft = new RolloutRow(id, "rollout", Long.MAX_VALUE, req.target(), false, RolloutRow.CREATED,
                req.selection(), req.plan(), req.policies(), 0, null, 0, null, null, 0, null);
        return admission.members(h, draft);
    }

    /**
     * Records a deployment: a rollout of kind {@code deployment}, started, one 100% stage without gates, whose
     * members are admitted at once (signed after the caller's transaction: {@link Assignments#finishPending}).
     *
     * @param members the active devices it names (any hardware; the agent refuses an image for other hardware)
     */
    public void recordDeployment(Handle h, String id, String target, String deviceId, String group, String tag,
                                 boolean forced, Actor actor, List<Selection.Member> members) {
        long now = clock.millis();
        h.createUpdate("""
                        INSERT INTO deployments (id, target_path, device_id, group_name, tag_name, forced, state, kind,
                                                 stage, stage_started_at, created_at, created_by)
                        VALUES (:id, :t, :d, :g, :tag, :forced, 'active', 'deployment', 0, :now, :now, :by)""")
                .bind("id", id).bind("t", target).bind("d", deviceId).bind("g", group).bind("tag", tag)
                .bind("forced", forced).bind("now", now).bind("by", actor.id()).execute();
        Admission.admit(h, id, members, 0, now);
    }

    /** Signs the admitted, not yet signed devices of one rollout or deployment (see {@link Assignments}). */
    public void finishPending(String id) {
        assignments.finishPending(id);
    }

    /** @throws DomainError.NotFound for an unknown id */
    public Rollout get(String id) {
        return jdbi.withHandle(h -> RolloutRow.find(h, id).map(r -> Views.of(h, r, admission))
                .orElseThrow(() -> new DomainError.NotFound("rollout")));
    }

    /**
     * How many membership changes (device writes that may move a device into or out of a dynamic selection) wait
     * for the evaluator ({@link Positions}).
     */
    public long queuedMemberChanges() {
        return jdbi.withHandle(Positions::queued);
    }

    /**
     * The devices of stage {@code k}'s cohort (admitted or not), in rollout order, read from the kept positions of
     * a started rollout's dynamic selection ({@link Positions}); empty when they are not kept (a static selection,
     * or while they are being filled, {@link PositionFill}).
     *
     * @throws DomainError.NotFound {@code rollout}
     * @throws DomainError.Invalid  {@code invalid_stage} when the plan has no stage {@code k}
     */
    public List<String> cohort(String id, int k) {
        return jdbi.withHandle(h -> {
            RolloutRow r = RolloutRow.find(h, id).orElseThrow(() -> new DomainError.NotFound("rollout"));
            if (k < 0 || k >= r.plan().stages().size()) {
                throw new DomainError.Invalid("invalid_stage", "the plan has no stage " + k);
            }
            return Positions.filled(h, id) ? Positions.cohort(h, id, r.plan(), k) : List.<String>of();
        });
    }

    /**
     * The rollout as {@link #get} shows it, but with {@code selected} taken as the size of its selection instead
     * of counting it again: the one step of {@link #get} that reads the selection's devices and their
     * manifests, the rest reads only the rollout's own rows. For a live page that counted it a little earlier.
     *
     * @throws DomainError.NotFound for an unknown id
     */
    public Rollout get(String id, int selected) {
        return jdbi.withHandle(h -> RolloutRow.find(h, id).map(r -> Views.of(h, r, selected))
                .orElseThrow(() -> new DomainError.NotFound("rollout")));
    }

    /** The rollout's device states over time, oldest first ({@link Samples}: bounded, sampled by the evaluator). */
    public List<Rollout.Sample> series(String id) {
        return jdbi.withHandle(h -> Samples.series(h, id));
    }

    /**
     * A page of rollouts (of both kinds), newest first, from their rows alone (cheap at any fleet size); only
     * those of the release {@code targetPath} when it is not null.
     */
    public Page<Rollout.Summary> summaries(Page.Request page, String targetPath) {
        return Page.of(jdbi.withHandle(h -> h.createQuery("SELECT id FROM deployments"
                        + (targetPath == null ? "" : " WHERE target_path = :t") + " ORDER BY seq DESC"
                        + " LIMIT :limit OFFSET :offset")
                .bind("t", targetPath).bind("limit", page.limit() + 1).bind("offset", page.offset())
                .mapTo(String.class).list()
                .stream().map(id -> summary(RolloutRow.find(h, id).orElseThrow())).toList()), page);
    }

    /** Per target path, how many rollouts (of both kinds) of that release there are. */
    public Map<String, Integer> countByTarget() {
        Map<String, Integer> out = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT target_path, COUNT(*) FROM deployments GROUP BY target_path")
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2))).forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }

    /** Per target path, the newest {@code most} rollouts (of both kinds) of that release, newest first. */
    public Map<String, List<Rollout.Summary>> byTarget(int most) {
        Map<String, List<Rollout.Summary>> out = new LinkedHashMap<>();
        jdbi.useHandle(h -> RolloutRow.newestFirst(h).forEach(r -> {
            List<Rollout.Summary> list = out.computeIfAbsent(r.target(), t -> new java.util.ArrayList<>());
            if (list.size() < most) {
                list.add(summary(r));
            }
        }));
        return out;
    }

    /** The newest {@code most} rollouts (of both kinds) of the release {@code targetPath}, newest first. */
    public List<Rollout.Summary> ofTarget(String targetPath, int most) {
        return jdbi.withHandle(h -> RolloutRow.ofTarget(h, targetPath, most).stream().map(Rollouts::summary).toList());
    }

    private static Rollout.Summary summary(RolloutRow r) {
        return new Rollout.Summary(r.id(), r.kind(), r.target(), r.state(), r.stage(), r.plan().stages().size(),
                java.time.Instant.ofEpochMilli(r.createdAt()).toString(), r.createdBy());
    }

    /**
     * A page of rollouts (of both kinds), newest first; only those in {@code state} when it is not null.
     *
     * @throws DomainError.Invalid {@code invalid_request} for a state no rollout can be in
     */
    public Page<Rollout> list(Page.Request page, String state) {
        if (state != null && !RolloutRow.STATES.contains(state)) {
            throw new DomainError.Invalid("invalid_request", "state must be one of "
                    + String.join(", ", RolloutRow.STATES) + "; got '" + state + "'");
        }
        return Page.of(jdbi.withHandle(h -> h.createQuery("SELECT id FROM deployments"
                        + (state == null ? "" : " WHERE state = :state") + " ORDER BY seq DESC LIMIT :limit OFFSET :offset")
                .bind("state", state).bind("limit", page.limit() + 1).bind("offset", page.offset())
                .mapTo(String.class).list()
                .stream().map(id -> Views.of(h, RolloutRow.find(h, id).orElseThrow(), admission)).toList()), page);
    }

    /**
     * A page of the devices the rollout admitted, by device id after {@code after} (null: from the first), only
     * in {@code state} (a funnel column) when it is not null.
     *
     * @throws DomainError.NotFound for an unknown rollout
     * @throws DomainError.Invalid  {@code invalid_request} for a state that is not a funnel column, or a limit
     *                              outside 1..500
     */
    public Rollout.DevicePage devices(String id, String state, String after, int limit) {
        if (state != null && !RolloutDevices.FUNNEL.contains(state)) {
            throw new DomainError.Invalid("invalid_request", "state must be one of "
                    + String.join(", ", RolloutDevices.FUNNEL) + "; got '" + state + "'");
        }
        if (limit < 1 || limit > Page.MAX_LIMIT) {
            throw new DomainError.Invalid("invalid_request", "limit must be from 1 to " + Page.MAX_LIMIT);
        }
        return jdbi.withHandle(h -> {
            if (RolloutRow.find(h, id).isEmpty()) {
                throw new DomainError.NotFound("rollout");
            }
            return RolloutDevices.page(h, id, state, after, limit);
        });
    }

    static final Set<String> ACTIONS = Set.of("start", "pause", "resume", "abort", "advance", "approve", "retry");
}
