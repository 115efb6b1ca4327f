package dev.flotilla.server.rollouts;

import dev.flotilla.core.crypto.Digests;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.director.Assignment;
import dev.flotilla.core.director.MaintenanceWindow;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementException;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Signs and stores per-device director assignments ({@link Assignment}) with the online director key and a
 * per-device counter that only grows (table {@code director_counters}). The target's length and hashes are
 * copied from the current signed targets metadata. Runs on the caller's handle, inside its transaction.
 *
 * <p>Every write of a device's assignment first locks the device's {@code director_counters} row (creating it
 * on the first assignment) and holds it to the end of the transaction, so writers of one device's
 * assignment take turns, on one server or several sharing a database; under that lock the write is a
 * compare-then-update: the <b>most recent deployment wins</b> (by creation order, {@code deployments.seq}),
 * whatever order the writers come in (a retry or revert of the same rollout may replace its own assignment).
 * A write that loses changes nothing, not even the counter; one that replaces another rollout's live
 * assignment marks that rollout's row for the device {@code superseded}. A deployment is a rollout (one
 * engine); {@code deploymentId} in an assignment is the rollout's id.
 *
 * <p>The signed flags of an assignment are set in one place, {@link #flags}.
 */
public final class Director {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Assignment states a device reported as final: no longer sent to the device. */
    static final Set<String> FINAL = Set.of("committed", "failed", "rolled_back");
    /** An assignment a halted or aborted rollout took back before the device started on it. */
    static final String WITHDRAWN = "withdrawn";
    /**
     * Assignment states not sent to the device at check-in: the final ones. A {@code withdrawn} assignment is
     * sent, signed with the withdrawn flag, so that a device that holds it drops it.
     */
    static final Set<String> NOT_SERVED = FINAL;
    /** The same set as SQL text, for {@code status NOT IN (...)}. */
    static final String NOT_SERVED_SQL = "('committed', 'failed', 'rolled_back')";

    /**
     * The rollout a device is to be assigned.
     *
     * @param forced      from the rollout's policies ({@code install: forced})
     * @param policies    the rollout's policies, for the signed flags ({@link #flags}); null: the defaults
     * @param soakSeconds the soak time of the rollout's current stage ({@link RolloutRow#soakSeconds()}), signed
     *                    into the assignment
     */
    record Candidate(String deploymentId, long seq, String target, TargetFile entry, boolean forced,
                     Policies policies, long soakSeconds) {
        /** The candidate of the rollout {@code r}'s current stage, to install {@code target}. */
        Candidate(RolloutRow r, String target, TargetFile entry) {
            this(r.id(), r.seq(), target, entry, r.forced(), r.policies(), r.soakSeconds());
        }

        /** A deployment's candidate: default policies, no soak. */
        Candidate(String deploymentId, long seq, String target, TargetFile entry, boolean forced) {
            this(deploymentId, seq, target, entry, forced, null, 0);
        }
    }

    /**
     * The flags signed into an assignment besides its target: {@code forced}, {@code withdrawn},
     * {@code installWindow} (null: none), {@code downloadOnly} and {@code soakSeconds} (0: none).
     */
    record Flags(boolean forced, boolean withdrawn, Policies.Window installWindow, boolean downloadOnly,
                 long soakSeconds) {
    }

    /**
     * THE place where an assignment's signed flags come from: the rollout's policies, whether the assignment
     * is being withdrawn, and the device's group's maintenance window. The install window is the rollout's
     * {@code maintenanceWindow} when it has one, else the window of the device's group ({@link GroupWindows}),
     * else none. A forced assignment carries the window too, and the agent installs it at once all the same.
     * The soak time is the one of the rollout's current stage, so that the device watches its health for as long
     * as its health counts against the rollout (the agent watches for the longer of it and its own setting).
     *
     * @param groupWindow the window of the device's group (null: none)
     * @param soakSeconds the soak time of the rollout's current stage (0: none)
     */
    static Flags flags(boolean forced, Policies policies, boolean withdrawn, Policies.Window groupWindow,
                       long soakSeconds) {
        Policies p = policies == null ? Policies.DEFAULT : policies;
        Policies.Window window = p.maintenanceWindow() != null ? p.maintenanceWindow() : groupWindow;
        return new Flags(forced || p.forced(), withdrawn, window, Policies.DOWNLOAD_ONLY.equals(p.install()),
                soakSeconds);
    }

    /** {@link #flags(boolean, Policies, boolean, Policies.Window, long)} for the device, with its group's window as now stored. */
    static Flags flags(Handle h, String deviceId, boolean forced, Policies policies, boolean withdrawn,
                       long soakSeconds) {
        boolean own = policies != null && policies.maintenanceWindow() != null;
        return flags(forced, policies, withdrawn, own ? null : GroupWindows.ofDevice(h, deviceId).orElse(null),
                soakSeconds);
    }

    /** The assignment a device held before a write: its deployment and state. */
    record Held(String deploymentId, long seq, String status) {
        boolean live() {
            return !FINAL.contains(status) && !WITHDRAWN.equals(status);
        }
    }

    /** An assignment written: the counter it was signed with and what it replaced (empty: the device had none). */
    record Issued(long counter, Optional<Held> replaced) {
    }

    private final TufStore tuf;
    private final Signer key;
    private final Clock clock;

    Director(TufStore tuf, Signer key, Clock clock) {
        this.tuf = tuf;
        this.key = key;
        this.clock = clock;
    }

    /**
     * The length and hashes of {@code target} in the current signed targets.
     *
     * @throws DomainError.Invalid {@code unknown_target} when it is not there
     */
    public TargetFile currentEntry(Handle h, String target) {
        if (tuf.latest(h, "targets").isEmpty()) {
            throw new DomainError.Invalid("unknown_target", "nothing has been released yet");
        }
        return entry(h, target).orElseThrow(() -> new DomainError.Invalid("unknown_target",
                "target '" + target + "' is not in the current release metadata"));
    }

    /** The entry of {@code target} in the current signed targets, empty when it is not there. */
    public Optional<TargetFile> entry(Handle h, String target) {
        return tuf.latest(h, "targets").map(stored -> Metadata.fromBytes(stored.bytes(), Targets.class).signed()
                .targets().get(target));
    }

    /** The device's current assignment, as seen now (read it again after {@link #lock} for a decision). */
    static Optional<Held> held(Handle h, String deviceId) {
        return h.createQuery("""
                        SELECT a.deployment_id, d.seq, a.status FROM device_assignments a
                        JOIN deployments d ON d.id = a.deployment_id WHERE a.device_id = :d""")
                .bind("d", deviceId).map((rs, ctx) -> new Held(rs.getString(1), rs.getLong(2), rs.getString(3)))
                .findOne();
    }

    /**
     * Assigns {@code c} to the device, replacing its assignment, unless that assignment belongs to {@code c}
     * already or to a more recent deployment ({@code seq} not lower). {@code accept} decides, under the
     * device's lock, from the assignment the device holds then, whether to go on (e.g. "not when the device
     * already runs the target and holds nothing live").
     *
     * @return the assignment written, or empty when nothing was written
     */
    Optional<Issued> assign(Handle h, String deviceId, Candidate c, java.util.function.Predicate<Optional<Held>> accept) {
        return assign(h, deviceId, c, accept, false);
    }

    /**
     * {@link #assign(Handle, String, Candidate, java.util.function.Predicate)}; with {@code again}, also when the
     * device holds an assignment of {@code c}'s own rollout (a retry, or a revert to the previous release): it
     * is replaced by a new one with a higher counter. A more recent rollout still wins.
     */
    Optional<Issued> assign(Handle h, String deviceId, Candidate c, java.util.function.Predicate<Optional<Held>> accept,
                            boolean again) {
        long last = lock(h, deviceId);
        Optional<Held> held = held(h, deviceId);
        if (held.isPresent() && (held.get().seq() > c.seq() || (held.get().seq() == c.seq() && !again))) {
            return Optional.empty();
        }
        if (!accept.test(held)) {
            return Optional.empty();
        }
        long counter = last + 1;
        Signed s = sign(h, deviceId, c.deploymentId(), c.target(), c.entry(), flags(h, deviceId, c.forced(), c.policies(), false,
                c.soakSeconds()),
                counter);
        if (held.isPresent()) {
            h.createUpdate("""
                            UPDATE device_assignments SET deployment_id = :dep, target_path = :t, counter = :c,
                                status = 'assigned', body = :b, body_hash = :bh, expires_at = :e, updated_at = :now
                            WHERE device_id = :d""")
                    .bind("d", deviceId).bind("dep", c.deploymentId()).bind("t", c.target()).bind("c", counter)
                    .bind("b", s.body()).bind("bh", s.hash()).bind("e", s.expires()).bind("now", s.now()).execute();
        } else {
            h.createUpdate("""
                            INSERT INTO device_assignments (device_id, deployment_id, target_path, counter, status, body,
                                                            body_hash, expires_at, updated_at)
                            VALUES (:d, :dep, :t, :c, 'assigned', :b, :bh, :e, :now)""")
                    .bind("d", deviceId).bind("dep", c.deploymentId()).bind("t", c.target()).bind("c", counter)
                    .bind("b", s.body()).bind("bh", s.hash()).bind("e", s.expires()).bind("now", s.now()).execute();
        }
        if (held.isPresent() && held.get().live() && !held.get().deploymentId().equals(c.deploymentId())) {
            h.createUpdate("UPDATE rollout_devices SET state = 'superseded', updated_at = :now WHERE rollout_id = :r"
                            + " AND device_id = :d AND state IN " + RolloutDevices.LIVE_SQL)
                    .bind("now", s.now()).bind("r", held.get().deploymentId()).bind("d", deviceId).execute();
        }
        return Optional.of(new Issued(counter, held));
    }

    /**
     * Re-signs the device's live assignment of {@code deploymentId} with a new counter and expiry, keeping its
     * state, if it still holds it and it expires before {@code resignBefore} (epoch ms); otherwise (replaced,
     * final, or re-signed meanwhile by a concurrent check-in) changes nothing.
     */
    void resign(Handle h, String deviceId, String deploymentId, String target, TargetFile entry, Flags flags,
                long resignBefore) {
        long last = lock(h, deviceId);
        Optional<Long> expires = h.createQuery("""
                        SELECT expires_at FROM device_assignments WHERE device_id = :d AND deployment_id = :dep
                          AND status NOT IN """ + NOT_SERVED_SQL)
                .bind("d", deviceId).bind("dep", deploymentId).mapTo(Long.class).findOne();
        if (expires.isEmpty() || expires.get() >= resignBefore) {
            return;
        }
        long counter = last + 1;
        Signed s = sign(h, deviceId, deploymentId, target, entry, flags, counter);
        h.createUpdate("""
                        UPDATE device_assignments SET counter = :c, body = :b, body_hash = :bh, expires_at = :e,
                            updated_at = :now WHERE device_id = :d""")
                .bind("d", deviceId).bind("c", counter).bind("b", s.body()).bind("bh", s.hash())
                .bind("e", s.expires()).bind("now", s.now()).execute();
    }

    /**
     * Re-signs the device's served assignment (any state but a final one) with a new counter and expiry when the
     * install window it carries is not the one {@link #flags} gives it now (its group's window was set, changed
     * or cleared, or it moved to another group), keeping its state and its other flags; otherwise, or when its
     * target has left the release metadata, changes nothing.
     *
     * @return whether it was re-signed
     */
    boolean refresh(Handle h, String deviceId) {
        if (served(h, deviceId).isEmpty()) {
            return false; // nothing to re-sign: no lock taken, no counter row created
        }
        long last = lock(h, deviceId);
        Optional<Served> row = served(h, deviceId);
        Optional<RolloutRow> rollout = row.flatMap(r -> RolloutRow.find(h, r.deploymentId()));
        if (rollout.isEmpty()) {
            return false;
        }
        Served r = row.get();
        Flags flags = flags(h, deviceId, rollout.get().forced(), rollout.get().policies(), WITHDRAWN.equals(r.status()),
                rollout.get().soakSeconds());
        MaintenanceWindow wanted = flags.installWindow() == null ? null : flags.installWindow().signed();
        Optional<TargetFile> entry = entry(h, r.target());
        if (Objects.equals(wanted, signedWindow(r.body())) || entry.isEmpty()) {
            return false;
        }
        Signed s = sign(h, deviceId, r.deploymentId(), r.target(), entry.get(), flags, last + 1);
        h.createUpdate("""
                        UPDATE device_assignments SET counter = :c, body = :b, body_hash = :bh, expires_at = :e,
                            updated_at = :now WHERE device_id = :d""")
                .bind("d", deviceId).bind("c", last + 1).bind("b", s.body()).bind("bh", s.hash())
                .bind("e", s.expires()).bind("now", s.now()).execute();
        return true;
    }

    private record Served(String deploymentId, String target, String status, String body) {
    }

    private static Optional<Served> served(Handle h, String deviceId) {
        return h.createQuery("SELECT deployment_id, target_path, status, body FROM device_assignments"
                        + " WHERE device_id = :d AND status NOT IN " + NOT_SERVED_SQL).bind("d", deviceId)
                .map((rs, ctx) -> new Served(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                .findOne();
    }

    /** The install window signed into a stored assignment envelope (null: none). */
    private static MaintenanceWindow signedWindow(String body) {
        try {
            JsonNode w = JSON.readTree(body).path("signed").get("installWindow");
            return w == null || w.isNull() ? null : MaintenanceWindow.fromJson(w);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return null; // unreadable: re-signed, as for a differing window
        }
    }

    private record Signed(String body, String hash, long expires, long now) {
    }

    /**
     * Withdraws the device's assignment of {@code deploymentId} if the device has not started on it (status
     * {@code assigned}): re-signed with a new counter and the withdrawn flag ({@link #flags}), status
     * {@code withdrawn}; check-ins keep sending it (a device that holds the assignment drops it) until the
     * device gets another assignment. When the target has left the release metadata the row is deleted.
     *
     * @return whether it was withdrawn
     */
    boolean withdraw(Handle h, String deviceId, String deploymentId, Policies policies) {
        long last = lock(h, deviceId);
        record Row(String target, boolean forced) {
        }
        Optional<Row> row = h.createQuery("""
                        SELECT a.target_path, d.forced FROM device_assignments a JOIN deployments d ON d.id = a.deployment_id
                        WHERE a.device_id = :d AND a.deployment_id = :dep AND a.status = 'assigned'""")
                .bind("d", deviceId).bind("dep", deploymentId)
                .map((rs, ctx) -> new Row(rs.getString(1), rs.getBoolean(2))).findOne();
        if (row.isEmpty()) {
            return false;
        }
        Optional<TargetFile> entry = entry(h, row.get().target());
        if (entry.isEmpty()) {
            h.createUpdate("DELETE FROM device_assignments WHERE device_id = :d").bind("d", deviceId).execute();
            return true;
        }
        long counter = last + 1;
        Signed s = sign(h, deviceId, deploymentId, row.get().target(), entry.get(),
                flags(h, deviceId, row.get().forced(), policies, true, 0), counter);
        h.createUpdate("""
                        UPDATE device_assignments SET counter = :c, body = :b, body_hash = :bh, expires_at = :e,
                            status = 'withdrawn', updated_at = :now WHERE device_id = :d""")
                .bind("d", deviceId).bind("c", counter).bind("b", s.body()).bind("bh", s.hash())
                .bind("e", s.expires()).bind("now", s.now()).execute();
        return true;
    }

    /** Signs an assignment with {@code counter} and records the counter as the device's last. */
    private Signed sign(Handle h, String deviceId, String deploymentId, String target, TargetFile entry,
                        Flags flags, long counter) {
        h.createUpdate("UPDATE director_counters SET counter = :c WHERE device_id = :d")
                .bind("c", counter).bind("d", deviceId).execute();
        Instant now = clock.instant();
        Assignment a = new Assignment(deviceId, deploymentId, target, entry.length(), entry.hashes(), counter, now,
                now.plus(Assignments.ASSIGNMENT_EXPIRY), flags.forced())
                .withWithdrawn(flags.withdrawn()).withDownloadOnly(flags.downloadOnly())
                .withInstallWindow(flags.installWindow() == null ? null : flags.installWindow().signed())
                .withSoakSeconds(flags.soakSeconds());
        byte[] envelope = CanonicalJson.encode(a.sign(key));
        return new Signed(new String(envelope, StandardCharsets.UTF_8), Digests.sha256Hex(envelope),
                a.expires().toEpochMilli(), now.toEpochMilli());
    }

    /**
     * Locks the device's counter row to the end of the transaction, creating it (counter 0) on the first
     * assignment; a concurrent creator makes the insert fail, and then the row is there to lock.
     *
     * @return the device's last counter
     */
    private static long lock(Handle h, String deviceId) {
        Optional<Long> last = selectForUpdate(h, deviceId);
        if (last.isPresent()) {
            return last.get();
        }
        h.savepoint("director_counter");
        try {
            h.createUpdate("INSERT INTO director_counters (device_id, counter) VALUES (:d, 0)")
                    .bind("d", deviceId).execute();
            h.releaseSavepoint("director_counter");
            return 0;
        } catch (StatementException e) { // another transaction created it first (it waited for that one to end)
            h.rollbackToSavepoint("director_counter");
            return selectForUpdate(h, deviceId).orElseThrow(() -> e);
        }
    }

    private static Optional<Long> selectForUpdate(Handle h, String deviceId) {
        return h.createQuery("SELECT counter FROM director_counters WHERE device_id = :d FOR UPDATE")
                .bind("d", deviceId).mapTo(Long.class).findOne();
    }
}
