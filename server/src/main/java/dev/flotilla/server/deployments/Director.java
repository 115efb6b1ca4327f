package dev.flotilla.server.deployments;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.director.Assignment;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Signer;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementException;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
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
 * whatever order the writers come in. A write that loses changes nothing, not even the counter.
 */
final class Director {
    /** Assignment states that are no longer sent to the device. */
    static final Set<String> FINAL = Set.of("committed", "failed", "rolled_back");

    /** The deployment a device is to be assigned. */
    record Candidate(String deploymentId, long seq, String target, TargetFile entry, boolean forced) {
    }

    /** The assignment a device held before a write: its deployment and state. */
    record Held(String deploymentId, long seq, String status) {
        boolean live() {
            return !FINAL.contains(status);
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
     * @throws ApiException 400 {@code unknown_target} when it is not there
     */
    TargetFile currentEntry(Handle h, String target) {
        if (tuf.latest(h, "targets").isEmpty()) {
            throw ApiException.badRequest("unknown_target", "nothing has been released yet");
        }
        return entry(h, target).orElseThrow(() -> ApiException.badRequest("unknown_target",
                "target '" + target + "' is not in the current release metadata"));
    }

    /** The entry of {@code target} in the current signed targets, empty when it is not there. */
    Optional<TargetFile> entry(Handle h, String target) {
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
        long last = lock(h, deviceId);
        Optional<Held> held = held(h, deviceId);
        if (held.isPresent() && held.get().seq() >= c.seq()) {
            return Optional.empty();
        }
        if (!accept.test(held)) {
            return Optional.empty();
        }
        long counter = last + 1;
        Signed s = sign(h, deviceId, c.deploymentId(), c.target(), c.entry(), c.forced(), counter);
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
        return Optional.of(new Issued(counter, held));
    }

    /**
     * Re-signs the device's live assignment of {@code deploymentId} with a new counter and expiry, keeping its
     * state, if it still holds it and it expires before {@code resignBefore} (epoch ms); otherwise (replaced,
     * final, or re-signed meanwhile by a concurrent check-in) changes nothing.
     */
    void resign(Handle h, String deviceId, String deploymentId, String target, TargetFile entry, boolean forced,
                long resignBefore) {
        long last = lock(h, deviceId);
        Optional<Long> expires = h.createQuery("""
                        SELECT expires_at FROM device_assignments WHERE device_id = :d AND deployment_id = :dep
                          AND status NOT IN ('committed', 'failed', 'rolled_back')""")
                .bind("d", deviceId).bind("dep", deploymentId).mapTo(Long.class).findOne();
        if (expires.isEmpty() || expires.get() >= resignBefore) {
            return;
        }
        long counter = last + 1;
        Signed s = sign(h, deviceId, deploymentId, target, entry, forced, counter);
        h.createUpdate("""
                        UPDATE device_assignments SET counter = :c, body = :b, body_hash = :bh, expires_at = :e,
                            updated_at = :now WHERE device_id = :d""")
                .bind("d", deviceId).bind("c", counter).bind("b", s.body()).bind("bh", s.hash())
                .bind("e", s.expires()).bind("now", s.now()).execute();
    }

    private record Signed(String body, String hash, long expires, long now) {
    }

    /** Signs an assignment with {@code counter} and records the counter as the device's last. */
    private Signed sign(Handle h, String deviceId, String deploymentId, String target, TargetFile entry,
                        boolean forced, long counter) {
        h.createUpdate("UPDATE director_counters SET counter = :c WHERE device_id = :d")
                .bind("c", counter).bind("d", deviceId).execute();
        Instant now = clock.instant();
        Assignment a = new Assignment(deviceId, deploymentId, target, entry.length(), entry.hashes(), counter, now,
                now.plus(Deployments.ASSIGNMENT_EXPIRY), forced);
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
