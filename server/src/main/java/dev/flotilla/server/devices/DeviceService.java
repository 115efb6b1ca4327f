package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.enrollment.EnrollmentService;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.store.Consistency;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The device inventory: enrollment (by enrollment token or a key registered in advance), pre-registration,
 * listing, tags and group, decommissioning, re-commissioning and deletion. Every change is audited in its transaction. Changes of a device's
 * group or tags, and pre-registration with a group or tags, are told to the {@link MembershipListener} in the
 * same transaction (the deployments assign devices that join an active group or tag deployment there);
 * so is re-commissioning (a device that comes back into the fleet joins its group and tags again). The writes
 * that can change a device's check-in answer return once every server answers accordingly, and its reads see this
 * server's pending {@code lastSeenAt} times ({@link Consistency}).
 */
public final class DeviceService {
    /** What a device sends to enroll. {@code enrollmentToken} may be empty for a pre-registered key. */
    public record Enrollment(Optional<String> enrollmentToken, Key publicKey, String hardwareId, ObjectNode attributes) {
    }

    private final Jdbi jdbi;
    private final AuditLog audit;
    private final EnrollmentService enrollment;
    private final Clock clock;
    private final MembershipListener membership;
    private final DeviceStore store = new DeviceStore();
    private final Consistency consistency;

    public DeviceService(Jdbi jdbi, AuditLog audit, EnrollmentService enrollment, Clock clock) {
        this(jdbi, audit, enrollment, clock, MembershipListener.NONE);
    }

    public DeviceService(Jdbi jdbi, AuditLog audit, EnrollmentService enrollment, Clock clock,
                         MembershipListener membership) {
        this(jdbi, audit, enrollment, clock, membership, new Consistency());
    }

    /**
     * @param consistency settles the writes that can give a device a new assignment or refuse it (tags, group,
     *                    decommission, recommission, delete): they return once every server answers its check-ins
     *                    accordingly ({@link Consistency#settled})
     */
    public DeviceService(Jdbi jdbi, AuditLog audit, EnrollmentService enrollment, Clock clock,
                         MembershipListener membership, Consistency consistency) {
        this.consistency = consistency;
        this.jdbi = jdbi;
        this.audit = audit;
        this.enrollment = enrollment;
        this.clock = clock;
        this.membership = membership;
    }

    /** A device after a change, and whether the membership listener assigned it something. */
    private record Changed(Device device, boolean assigned) {
    }

    private Device notify(Changed c) {
        if (c.assigned()) {
            membership.committed(c.device().id());
        }
        return c.device();
    }

    /**
     * Enrolls a device. With an enrollment token: creates the device (the token's use is counted). Without:
     * the key must have been registered in advance by an operator ({@link #preRegister}), and that device is
     * returned unchanged; any other key, also one a device enrolled with a token, gets the same refusal as an
     * unknown key, so nothing about it is disclosed.
     *
     * @throws DomainError.Unauthenticated {@code invalid_enrollment_token} when the token is unknown, revoked,
     *                                     expired or used up, or, without a token, the key was not registered
     *                                     in advance
     * @throws DomainError.Conflict        {@code device_exists} when the key is already enrolled
     * @throws DomainError.Forbidden       {@code device_decommissioned} for a decommissioned key registered in
     *                                     advance
     */
    public Device enroll(Enrollment e) {
        String keyId = e.publicKey().keyId();
        if (e.enrollmentToken().isEmpty()) {
            Device known = jdbi.withHandle(h -> store.findRegisteredInAdvance(h, keyId)).orElseThrow(() ->
                    new DomainError.Unauthenticated("invalid_enrollment_token",
                            "an enrollment token is required for a key not registered in advance"));
            requireActive(known);
            return known;
        }
        return jdbi.inTransaction(h -> {
            Actor actor = enrollment.consume(h, e.enrollmentToken().get());
            if (store.findByKeyId(h, keyId).isPresent()) {
                throw new DomainError.Conflict("device_exists", "a device with this key is already enrolled");
            }
            return create(h, actor, "device.enroll", e.publicKey(), e.hardwareId(), null, List.of(), e.attributes());
        });
    }

    /**
     * Registers a device's public key in advance, so that the device can enroll without a token.
     *
     * @throws DomainError.Conflict {@code device_exists} when a device holds the key already
     */
    public Device preRegister(Actor actor, Key key, String hardwareId, String group, List<String> tags) {
        boolean member = group != null || !tags.isEmpty();
        return notify(jdbi.inTransaction(h -> {
            if (member) {
                membership.lock(h);
            }
            if (store.findByKeyId(h, key.keyId()).isPresent()) {
                throw new DomainError.Conflict("device_exists", "a device with this key is already registered");
            }
            Device d = create(h, actor, "device.register", key, hardwareId, group, tags,
                    JsonNodeFactory.instance.objectNode());
            return new Changed(d, member && membership.changed(h, d.id()));
        }));
    }

    /** @throws DomainError.NotFound for an unknown device */
    public Device get(String id) {
        return consistency.current(() -> jdbi.withHandle(h -> store.find(h, id)))
                .orElseThrow(() -> new DomainError.NotFound("device"));
    }

    /** A page of the devices matching {@code filter}, each with what its latest manifest says it runs. */
    public Page<Listed> list(DeviceFilter filter, Page.Request page) {
        return Page.of(consistency.current(() -> jdbi.withHandle(h -> store.listed(h, store.list(h, filter,
                page.offset(), page.limit() + 1)))), page);
    }

    /** One keyset page of the devices matching {@code filter}: the first {@code limit} with an id after {@code after}. */
    public KeysetPage listAfter(DeviceFilter filter, String after, int limit) {
        List<Listed> fetched = consistency.current(() -> jdbi.withHandle(h -> store.listed(h,
                store.listAfter(h, filter, after, limit + 1))));
        boolean more = fetched.size() > limit;
        List<Listed> items = more ? List.copyOf(fetched.subList(0, limit)) : List.copyOf(fetched);
        return new KeysetPage(items, more ? items.getLast().device().id() : null);
    }

    /** A page of devices by id; {@code nextAfter} is the id to continue after, null on the last page. */
    public record KeysetPage(List<Listed> items, String nextAfter) {
    }

    /** How many devices match {@code filter}. */
    public long count(DeviceFilter filter) {
        return consistency.current(() -> jdbi.withHandle(h -> store.count(h, filter)));
    }

    /**
     * How many devices match {@code filter}, counted no further than {@code limit}: a count that reads at most
     * {@code limit} matches, however many devices there are.
     */
    public long countUpTo(DeviceFilter filter, long limit) {
        return consistency.current(() -> jdbi.withHandle(h -> store.countUpTo(h, filter, limit)));
    }

    /** @throws DomainError.NotFound for an unknown device */
    public Device setTags(Actor actor, String id, List<String> tags) {
        return consistency.settled(() -> notify(jdbi.inTransaction(h -> {
            membership.lock(h);
            Device after = change(h, actor, id, "device.tags", x -> store.replaceTags(x, id, tags));
            return new Changed(after, membership.changed(h, id));
        })));
    }

    /** @throws DomainError.NotFound for an unknown device */
    public Device setGroup(Actor actor, String id, String group) {
        return consistency.settled(() -> notify(jdbi.inTransaction(h -> {
            membership.lock(h);
            Device after = change(h, actor, id, "device.group", x -> store.setGroup(x, id, group));
            return new Changed(after, membership.changed(h, id));
        })));
    }

    /**
     * Decommissions a device: it is refused from now on and its device tokens are dropped.
     *
     * @throws DomainError.NotFound for an unknown device
     */
    public Device decommission(Actor actor, String id) {
        return consistency.settled(() -> change(actor, id, "device.decommission", h -> {
            store.setStatus(h, id, Device.DECOMMISSIONED);
            h.createUpdate("DELETE FROM device_sessions WHERE device_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM device_challenges WHERE device_id = :id").bind("id", id).execute();
        }));
    }

    /**
     * Re-commissions a decommissioned device: it is active again, may log in (challenge and token) and enroll
     * with its registered key as before, and is assigned what an active group or tag deployment of its group
     * or tags gives a device that joins (see {@link MembershipListener}).
     *
     * @throws DomainError.NotFound for an unknown device
     * @throws DomainError.Conflict {@code device_active} when it is not decommissioned
     */
    public Device recommission(Actor actor, String id) {
        return consistency.settled(() -> notify(jdbi.inTransaction(h -> {
            membership.lock(h);
            Device before = store.find(h, id).orElseThrow(() -> new DomainError.NotFound("device"));
            if (before.active()) {
                throw new DomainError.Conflict("device_active", "device " + id + " is active, not decommissioned");
            }
            Device after = change(h, actor, id, "device.recommission", x -> store.setStatus(x, id, Device.ACTIVE));
            return new Changed(after, membership.changed(h, id));
        })));
    }

    /**
     * Deletes a device record with its sessions (its tokens stop working), challenges, tags, manifest, events,
     * assignment and director counter. The audit entry {@code device.delete} keeps its last state; deployments
     * that named it stay as history.
     *
     * @return the device as it was
     * @throws DomainError.NotFound for an unknown device
     */
    public Device delete(Actor actor, String id) {
        return consistency.settled(() -> jdbi.inTransaction(h -> {
            membership.lock(h); // no group or tag deployment records it as a member meanwhile
            Device before = store.find(h, id).orElseThrow(() -> new DomainError.NotFound("device"));
            store.delete(h, id);
            audit.record(h, actor, "device.delete", "device", id, before, null);
            return before;
        }));
    }

    /** @throws DomainError.Forbidden {@code device_decommissioned} when the device is not active */
    static void requireActive(Device d) {
        if (!d.active()) {
            throw new DomainError.Forbidden("device_decommissioned", "device " + d.id() + " is decommissioned");
        }
    }

    private Device create(Handle h, Actor actor, String action, Key key, String hardwareId, String group,
                          List<String> tags, ObjectNode attributes) {
        String id = Secrets.newId("dev_");
        store.insert(h, id, key.keyId(), key.toJson(), hardwareId, group, attributes, clock.millis(),
                action.equals("device.register"));
        store.replaceTags(h, id, tags);
        Device created = store.find(h, id).orElseThrow();
        audit.record(h, actor, action, "device", id, null, created);
        return created;
    }

    private Device change(Actor actor, String id, String action, java.util.function.Consumer<Handle> mutation) {
        return jdbi.inTransaction(h -> change(h, actor, id, action, mutation));
    }

    private Device change(Handle h, Actor actor, String id, String action, java.util.function.Consumer<Handle> mutation) {
        Device before = store.find(h, id).orElseThrow(() -> new DomainError.NotFound("device"));
        mutation.accept(h);
        Device after = store.find(h, id).orElseThrow();
        audit.record(h, actor, action, "device", id, before, after);
        return after;
    }
}
