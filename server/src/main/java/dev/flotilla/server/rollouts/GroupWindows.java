package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.store.Consistency;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Maintenance windows per device group (table {@code group_windows}). A group is a value of the devices'
 * {@code group}; it is known while a device is in it or a window is stored for it. A device of the group gets
 * the group's window signed into its assignment as {@code installWindow} when the rollout sets no
 * {@code maintenanceWindow} of its own ({@link Director#flags}): the rollout's window, else the group's, else
 * none. A window is validated by the rules of a rollout's window ({@link Policies.Window#parse}).
 *
 * <p>Setting or clearing a window re-signs, after its commit, the served assignment of every device of the
 * group whose signed window is no longer the one it should carry ({@link Director#refresh}), {@value
 * Assignments#BATCH} devices per transaction; the change of the window itself takes the membership lock (see
 * {@link MembershipAssignments}), so a device that joins the group meanwhile is either re-signed here or sees
 * the new window when it joins. Doing the same change again re-signs only what a run cut short left behind.
 * Each change is audited ({@code group.window.set}, {@code group.window.clear}) with the windows before and after,
 * and returns once every server answers check-ins accordingly ({@link Consistency#settled}).
 */
public final class GroupWindows {
    /**
     * A group's window as shown: {@code maintenanceWindow} null when it has none; {@code devices} in the group;
     * {@code resigned}: assignments re-signed by the change (absent when showing).
     */
    public record GroupWindow(String group, Policies.Window maintenanceWindow, long devices,
                              @JsonInclude(JsonInclude.Include.NON_NULL) Integer resigned) {
    }

    private final Jdbi jdbi;
    private final Director director;
    private final MembershipAssignments membership;
    private final AuditLog audit;
    private final Clock clock;
    private final Consumer<String> onAssigned;
    private final Consistency consistency;

    GroupWindows(Jdbi jdbi, Director director, MembershipAssignments membership, AuditLog audit, Clock clock,
                 Consumer<String> onAssigned, Consistency consistency) {
        this.consistency = consistency;
        this.jdbi = jdbi;
        this.director = director;
        this.membership = membership;
        this.audit = audit;
        this.clock = clock;
        this.onAssigned = onAssigned;
    }

    /** The window of the device's group as now stored; empty when it has no group or the group no window. */
    static Optional<Policies.Window> ofDevice(Handle h, String deviceId) {
        return h.createQuery("""
                        SELECT w.cron, w.duration_minutes, w.zone FROM group_windows w
                        JOIN devices d ON d.device_group = w.group_name WHERE d.id = :d""")
                .bind("d", deviceId)
                .map((rs, ctx) -> new Policies.Window(rs.getString(1), rs.getLong(2), rs.getString(3))).findOne();
    }

    /**
     * The group's window.
     *
     * @throws DomainError.NotFound when no device is in the group and it has no window
     */
    public GroupWindow get(String group) {
        return jdbi.withHandle(h -> {
            long devices = members(h, group);
            Optional<Policies.Window> window = stored(h, group);
            if (devices == 0 && window.isEmpty()) {
                throw unknown(group);
            }
            return new GroupWindow(group, window.orElse(null), devices, null);
        });
    }

    /**
     * Sets (or replaces) the group's window and re-signs its devices' assignments that should now carry it.
     *
     * @throws DomainError.NotFound when no device is in the group and it has no window yet
     */
    public GroupWindow set(Actor actor, String group, Policies.Window window) {
        return change(actor, group, window);
    }

    /**
     * Clears the group's window (nothing to do when it has none) and re-signs its devices' assignments that
     * carry it.
     *
     * @throws DomainError.NotFound when no device is in the group and it has no window
     */
    public GroupWindow clear(Actor actor, String group) {
        return change(actor, group, null);
    }

    private GroupWindow change(Actor actor, String group, Policies.Window window) {
        return consistency.settled(() -> changeUnsettled(actor, group, window));
    }

    private GroupWindow changeUnsettled(Actor actor, String group, Policies.Window window) {
        long devices = jdbi.inTransaction(h -> {
            membership.lock(h); // a device joining the group meanwhile sees the new window, or is re-signed below
            long n = members(h, group);
            Optional<Policies.Window> before = stored(h, group);
            if (n == 0 && before.isEmpty()) {
                throw unknown(group);
            }
            if (Objects.equals(before.orElse(null), window)) {
                return n; // unchanged: not audited; the re-signing below finishes a run cut short
            }
            h.createUpdate("DELETE FROM group_windows WHERE group_name = :g").bind("g", group).execute();
            if (window != null) {
                h.createUpdate("""
                                INSERT INTO group_windows (group_name, cron, duration_minutes, zone, updated_at, updated_by)
                                VALUES (:g, :cron, :minutes, :zone, :now, :by)""")
                        .bind("g", group).bind("cron", window.cron()).bind("minutes", window.durationMinutes())
                        .bind("zone", window.zone()).bind("now", clock.millis()).bind("by", actor.id()).execute();
            }
            audit.record(h, actor, window == null ? "group.window.clear" : "group.window.set", "group", group,
                    before.orElse(null), window);
            return n;
        });
        return new GroupWindow(group, window, devices, resignMembers(group));
    }

    /** Re-signs, batch by batch in device id order, the group's assignments whose signed window is out of date. */
    private int resignMembers(String group) {
        int resigned = 0;
        String after = "";
        while (true) {
            String from = after;
            List<String> batch = jdbi.withHandle(h -> h.createQuery("""
                            SELECT d.id FROM devices d JOIN device_assignments a ON a.device_id = d.id
                            WHERE d.device_group = :g AND d.id > :from AND a.status NOT IN """ + Director.NOT_SERVED_SQL
                            + " ORDER BY d.id LIMIT :n")
                    .bind("g", group).bind("from", from).bind("n", Assignments.BATCH).mapTo(String.class).list());
            if (batch.isEmpty()) {
                return resigned;
            }
            List<String> done = jdbi.inTransaction(h -> {
                List<String> out = new ArrayList<>();
                for (String d : batch) {
                    if (director.refresh(h, d)) {
                        out.add(d);
                    }
                }
                return out;
            });
            done.forEach(onAssigned);
            resigned += done.size();
            after = batch.get(batch.size() - 1);
        }
    }

    private static long members(Handle h, String group) {
        return h.createQuery("SELECT COUNT(*) FROM devices WHERE device_group = :g").bind("g", group)
                .mapTo(Long.class).one();
    }

    private static Optional<Policies.Window> stored(Handle h, String group) {
        return h.createQuery("SELECT cron, duration_minutes, zone FROM group_windows WHERE group_name = :g")
                .bind("g", group)
                .map((rs, ctx) -> new Policies.Window(rs.getString(1), rs.getLong(2), rs.getString(3))).findOne();
    }

    private static DomainError.NotFound unknown(String group) {
        return new DomainError.NotFound("group '" + group + "'"); // no device is in it, and it has no window
    }
}
