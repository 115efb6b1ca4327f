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

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Signs and stores per-device director assignments ({@link Assignment}) with the online director key and a
 * per-device counter that only grows (table {@code director_counters}, updated under a row lock). The
 * target's length and hashes are copied from the current signed targets metadata. Runs on the caller's
 * handle, inside its transaction.
 */
final class Director {
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

    /**
     * Signs and stores a new assignment with the device's next counter. The device must have no row in
     * {@code device_assignments} (the caller deletes the old one).
     *
     * @return the counter it was signed with
     */
    long issue(Handle h, String deviceId, String deploymentId, String target, TargetFile entry, boolean forced,
               String status) {
        Optional<Long> last = h.createQuery("SELECT counter FROM director_counters WHERE device_id = :d FOR UPDATE")
                .bind("d", deviceId).mapTo(Long.class).findOne();
        long counter = last.orElse(0L) + 1;
        if (last.isPresent()) {
            h.createUpdate("UPDATE director_counters SET counter = :c WHERE device_id = :d")
                    .bind("c", counter).bind("d", deviceId).execute();
        } else {
            h.createUpdate("INSERT INTO director_counters (device_id, counter) VALUES (:d, :c)")
                    .bind("d", deviceId).bind("c", counter).execute();
        }
        Instant now = clock.instant();
        Assignment a = new Assignment(deviceId, deploymentId, target, entry.length(), entry.hashes(), counter, now,
                now.plus(Deployments.ASSIGNMENT_EXPIRY), forced);
        byte[] envelope = CanonicalJson.encode(a.sign(key));
        h.createUpdate("""
                        INSERT INTO device_assignments (device_id, deployment_id, target_path, counter, status, body,
                                                        body_hash, expires_at, updated_at)
                        VALUES (:d, :dep, :t, :c, :s, :b, :bh, :e, :now)""")
                .bind("d", deviceId).bind("dep", deploymentId).bind("t", target).bind("c", counter).bind("s", status)
                .bind("b", new String(envelope, StandardCharsets.UTF_8)).bind("bh", Digests.sha256Hex(envelope))
                .bind("e", a.expires().toEpochMilli()).bind("now", now.toEpochMilli()).execute();
        return counter;
    }
}
