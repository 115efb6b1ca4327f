package dev.flotilla.server.deployments;

import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.devices.MembershipListener;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.rollouts.Rollouts;
import dev.flotilla.server.rollouts.Selection;
import dev.flotilla.server.store.Consistency;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Deployments: the shorthand for a started rollout of one 100% stage without gates ({@link Rollouts}, the one
 * engine that hands out assignments). A deployment targets one device, a group or a tag; a group or tag
 * deployment also assigns devices that join while it is active ({@link #membership()}). A device has at most
 * one assignment: the most recent deployment or rollout (creation order, {@code deployments.seq}) wins.
 */
public final class Deployments {
    private static final Logger LOG = LoggerFactory.getLogger(Deployments.class);

    private final Jdbi jdbi;
    private final Rollouts rollouts;
    private final AuditLog audit;
    private final Clock clock;
    private final Consistency consistency;

    /** A deployment service with its own engine on {@code jdbi} (all state is in the database). */
    public Deployments(Jdbi jdbi, TufStore tuf, Signer director, AuditLog audit, Clock clock,
                       Consumer<String> onAssigned) {
        this(jdbi, new Rollouts(jdbi, tuf, director, audit, clock, onAssigned), audit, clock, new Consistency());
    }

    /** @param consistency settles {@link #create} and {@link #cancel} ({@link Consistency#settled}) */
    public Deployments(Jdbi jdbi, Rollouts rollouts, AuditLog audit, Clock clock, Consistency consistency) {
        this.consistency = consistency;
        this.jdbi = jdbi;
        this.rollouts = rollouts;
        this.audit = audit;
        this.clock = clock;
    }

    /** What the device inventory tells about group and tag changes, to assign devices that join. */
    public MembershipListener membership() {
        return rollouts.membership();
    }

    /**
     * Creates a deployment ({@link DeploymentRequest}): a started rollout of one 100% stage without gates; every
     * active device it names now is assigned the target, replacing what it had (unless a more recent deployment
     * or rollout got to it first). {@code forced} is signed into each assignment.
     *
     * <p>Two steps. One short transaction (under the membership lock for a group or tag) records the
     * deployment, which from then on assigns devices that join, and its members as admitted and pending; then the
     * members' assignments are signed outside the lock, in batches ({@link Rollouts#finishPending}). The answer
     * comes after the last batch; if a batch fails, the answer still comes (the deployment exists) and the
     * server's scheduler signs the rest within a minute. The answer waits until every server answers check-ins
     * accordingly ({@link Consistency#settled}).
     *
     * <p>It must reach a device of the release's hardware ({@link Reach}): a device of other hardware is refused
     * ({@code hardware_mismatch}), and so is a group or tag without one, unless {@code allowEmpty} is true
     * ({@code no_matching_devices}: most often a misspelt name).
     *
     * @throws DomainError.NotFound for an unknown or inactive device
     * @throws DomainError.Conflict {@code hardware_mismatch} or {@code no_matching_devices} as above
     * @throws DomainError.Invalid {@code unknown_target} for an unreleased target
     */
    public Created create(DeploymentRequest request, Actor actor) {
        return consistency.settled(() -> createUnsettled(request, actor));
    }

    private Created createUnsettled(DeploymentRequest request, Actor actor) {
        String target = request.target();
        Optional<String> deviceId = request.deviceId();
        Optional<String> group = request.group();
        Optional<String> tag = request.tag();
        String id = Secrets.newId("dep_");
        Reach reach = jdbi.inTransaction(h -> {
            if (deviceId.isEmpty()) {
                rollouts.membership().lock(h); // a device joining now is either a member here or sees this deployment
            }
            TargetFile e = rollouts.director().currentEntry(h, target);
            if (deviceId.isPresent() && h.createQuery("SELECT id FROM devices WHERE id = :id AND status = 'active'")
                    .bind("id", deviceId.get()).mapTo(String.class).findOne().isEmpty()) {
                throw new DomainError.NotFound("active device");
            }
            Reach r = Reach.count(h, request.column(), request.value(), e);
            r.requireDeployable(request.audience(), target, deviceId.isPresent(), request.allowEmpty());
            List<Selection.Member> members = Selection.of(deviceId.orElse(null), group.orElse(null), tag.orElse(null))
                    .members(h, null);
            rollouts.recordDeployment(h, id, target, deviceId.orElse(null), group.orElse(null), tag.orElse(null),
                    request.forced(), actor, members);
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("deployment", find(h, id).orElseThrow());
            after.put("members", members.size());
            audit.record(h, actor, "deployment.create", "deployment", id, null, after);
            return r;
        });
        try {
            rollouts.finishPending(id);
        } catch (RuntimeException e) {
            // The deployment exists and assigns joining devices; the scheduler signs what is left (every
            // server runs finishPendingQuietly each minute). Answer with it rather than an error that invites
            // a retry, i.e. a second deployment.
            LOG.warn("signing the assignments of deployment {} failed; the scheduler finishes them", id, e);
        }
        return new Created(get(id), reach);
    }

    /** A deployment just made, with whom it reached ({@link Reach}); its JSON is the deployment's plus {@code reach}. */
    public record Created(@com.fasterxml.jackson.annotation.JsonUnwrapped Deployment deployment, Reach reach) {
    }

    /** Signs the pending assignments of every deployment and rollout (see {@code Assignments.finishPending}). */
    public void finishPending() {
        rollouts.assignments().finishPending();
    }

    /**
     * Cancels a deployment: from now on it assigns no device that joins its group or tag. Assignments already
     * issued are not withdrawn (a device may be installing; deploy another target to move devices on).
     * Cancelling a cancelled deployment changes nothing. Returns once every server answers check-ins accordingly.
     *
     * @throws DomainError.NotFound for an unknown deployment
     */
    public Deployment cancel(String id, Actor actor) {
        return consistency.settled(() -> cancelUnsettled(id, actor));
    }

    private Deployment cancelUnsettled(String id, Actor actor) {
        jdbi.useTransaction(h -> {
            rollouts.membership().lock(h);
            Deployment before = find(h, id).orElseThrow(() -> new DomainError.NotFound("deployment"));
            if (!before.state().equals(Deployment.ACTIVE)) {
                return;
            }
            h.createUpdate("UPDATE deployments SET state = 'cancelled', cancelled_at = :now, cancelled_by = :by WHERE id = :id")
                    .bind("now", clock.millis()).bind("by", actor.id()).bind("id", id).execute();
            audit.record(h, actor, "deployment.cancel", "deployment", id, before, find(h, id).orElseThrow());
        });
        return get(id);
    }

    /** A deployment by id. @throws DomainError.NotFound for an unknown deployment */
    public Deployment get(String id) {
        return jdbi.withHandle(h -> find(h, id)).orElseThrow(() -> new DomainError.NotFound("deployment"));
    }

    /** A page of deployments, newest first. */
    public Page<Deployment> list(Page.Request page) {
        return Page.of(jdbi.withHandle(h -> h.createQuery(
                        "SELECT id FROM deployments WHERE kind = 'deployment' ORDER BY seq DESC LIMIT :limit OFFSET :offset")
                .bind("limit", page.limit() + 1).bind("offset", page.offset()).mapTo(String.class).list()
                .stream().map(id -> find(h, id).orElseThrow()).toList()), page);
    }

    private static Optional<Deployment> find(Handle h, String id) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        h.createQuery("SELECT status, COUNT(*) FROM device_assignments WHERE deployment_id = :id GROUP BY status ORDER BY status")
                .bind("id", id).map((rs, ctx) -> counts.put(rs.getString(1), rs.getInt(2))).list();
        return h.createQuery("SELECT * FROM deployments WHERE id = :id AND kind = 'deployment'").bind("id", id)
                .map((rs, ctx) -> new Deployment(rs.getString("id"), rs.getString("target_path"),
                        rs.getString("device_id"), rs.getString("group_name"), rs.getString("tag_name"),
                        rs.getBoolean("forced"), rs.getString("state"),
                        Instant.ofEpochMilli(rs.getLong("created_at")).toString(),
                        rs.getObject("cancelled_at") == null ? null
                                : Instant.ofEpochMilli(rs.getLong("cancelled_at")).toString(), counts))
                .findOne();
    }
}
