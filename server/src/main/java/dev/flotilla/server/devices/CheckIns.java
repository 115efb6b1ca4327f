package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.json.CanonicalJson;
import dev.flotilla.core.tuf.Key;
import dev.flotilla.server.http.ApiException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The check-in hot path. A device posts its signed manifest; the server verifies and stores it (unless
 * these exact bytes were verified and stored before), records that the device was seen, and answers with
 * its assignment and next poll interval. The ETag covers the manifest bytes and the assignment, so an
 * idle device that sends {@code If-None-Match} gets a 304 without signature checks or manifest writes.
 */
public final class CheckIns {
    private static final String NO_ASSIGNMENT = "none";

    /** The outcome of a check-in. */
    public sealed interface Result {
        String etag();
    }

    /** The device already has this answer. */
    public record NotModified(String etag) implements Result {
    }

    /** A full answer. */
    public record Answer(String etag, Response body) implements Result {
    }

    /**
     * The check-in answer. {@code assignment} is the signed director envelope, or null when the device has
     * nothing to do.
     */
    public record Response(JsonNode assignment, long pollIntervalSeconds) {
    }

    private final Jdbi jdbi;
    private final Clock clock;
    private final Duration pollInterval;
    private final DeviceStore store = new DeviceStore();
    private final AssignmentSource assignments;
    private final LastSeen lastSeen;

    public CheckIns(Jdbi jdbi, Clock clock, Duration pollInterval, AssignmentSource assignments) {
        this.jdbi = jdbi;
        this.lastSeen = new LastSeen(jdbi);
        this.assignments = assignments;
        this.clock = clock;
        this.pollInterval = pollInterval;
    }

    /**
     * Records a check-in of {@code deviceId} (already authenticated) carrying the raw envelope bytes. With
     * {@code If-None-Match}, an idle device is answered by reads only ({@code lastSeenAt} is written behind,
     * see {@link LastSeen}); otherwise (or when
     * anything changed) the full path runs in one transaction.
     *
     * @throws ApiException as {@link Manifests#verify}; nothing is stored when it throws
     */
    public Result checkIn(String deviceId, byte[] envelope, Optional<String> ifNoneMatch) {
        String envelopeHash = Digests.sha256Hex(envelope);
        if (ifNoneMatch.isPresent()) {
            Optional<NotModified> idle = idle(deviceId, envelopeHash, ifNoneMatch.get());
            if (idle.isPresent()) {
                return idle.get();
            }
        }
        Optional<AssignmentSource.Current> assignment = jdbi.inTransaction(h -> {
            Optional<String> stored = h.createQuery("SELECT envelope_hash FROM device_manifests WHERE device_id = :d")
                    .bind("d", deviceId).mapTo(String.class).findOne();
            if (stored.isEmpty() || !stored.get().equals(envelopeHash)) {
                storeManifest(h, deviceId, envelope, envelopeHash, stored.isPresent());
            }
            store.touch(h, deviceId, clock.millis());
            return assignments.current(h, deviceId);
        });
        String etag = etag(envelopeHash, assignment.map(AssignmentSource.Current::hash).orElse(NO_ASSIGNMENT));
        if (ifNoneMatch.filter(etag::equals).isPresent()) {
            return new NotModified(etag);
        }
        return new Answer(etag, new Response(assignment.map(a -> DeviceStore.parse(a.envelopeJson())).orElse(null),
                jittered()));
    }

    private static String etag(String envelopeHash, String assignmentState) {
        return "\"" + Digests.sha256Hex((envelopeHash + ":" + assignmentState).getBytes()).substring(0, 32) + "\"";
    }

    /**
     * The idle fast path: when these manifest bytes are the stored ones and the assignment is unchanged
     * (and needs no re-signing), the device already has the answer. Reads only, no transaction; the
     * {@code lastSeenAt} update goes to {@link LastSeen}. Empty when the full path must run.
     */
    private Optional<NotModified> idle(String deviceId, String envelopeHash, String ifNoneMatch) {
        return jdbi.withHandle(h -> {
            Optional<String> stored = h.createQuery("SELECT envelope_hash FROM device_manifests WHERE device_id = :d")
                    .bind("d", deviceId).mapTo(String.class).findOne();
            if (stored.isEmpty() || !stored.get().equals(envelopeHash)) {
                return Optional.<NotModified>empty();
            }
            Optional<String> state = assignments.stateIfFresh(h, deviceId);
            if (state.isEmpty()) {
                return Optional.<NotModified>empty();
            }
            String etag = etag(envelopeHash, state.get().isEmpty() ? NO_ASSIGNMENT : state.get());
            if (!etag.equals(ifNoneMatch)) {
                return Optional.<NotModified>empty();
            }
            lastSeen.record(deviceId, clock.millis());
            return Optional.of(new NotModified(etag));
        });
    }

    /**
     * Writes the pending {@code lastSeenAt} times of idle check-ins (the server calls it every second, before
     * operator reads of devices, and on stop).
     */
    public int flushLastSeen() {
        return lastSeen.flush();
    }

    /** The latest verified manifest of a device, if it ever checked in. */
    public Optional<JsonNode> latestManifest(String deviceId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT manifest_json FROM device_manifests WHERE device_id = :d")
                .bind("d", deviceId).mapTo(String.class).findOne()).map(DeviceStore::parse);
    }

    private void storeManifest(Handle h, String deviceId, byte[] envelope, String envelopeHash, boolean exists) {
        Device device = store.find(h, deviceId).orElseThrow(() -> ApiException.notFound("device"));
        ObjectNode signed = Manifests.verify(CanonicalJson.parseObject(envelope), deviceId,
                Key.fromJson(device.publicKey()));
        String sql = exists
                ? "UPDATE device_manifests SET envelope_hash = :h, manifest_json = :m, received_at = :now WHERE device_id = :d"
                : "INSERT INTO device_manifests (device_id, envelope_hash, manifest_json, received_at) VALUES (:d, :h, :m, :now)";
        h.createUpdate(sql).bind("d", deviceId).bind("h", envelopeHash).bind("m", DeviceStore.json(signed))
                .bind("now", clock.millis()).execute();
    }

    private long jittered() {
        long base = pollInterval.toSeconds();
        return base + ThreadLocalRandom.current().nextLong(base / 5 + 1);
    }
}
