package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.store.Consistency;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.Optional;

/**
 * One device as its page shows it: the inventory row, its latest verified manifest and when the server
 * verified it, and what it is meant to run (its current director assignment). Reads only.
 */
public final class DeviceDetails {
    /** The device's current assignment: target, deployment, state and when that state was written. */
    public record Intended(String targetPath, String deploymentId, String status, String updatedAt) {
    }

    /** Empty optionals where the device never checked in or has no assignment. */
    public record Detail(Device device, Optional<JsonNode> manifest, Optional<String> manifestVerifiedAt,
                         Optional<Intended> intended) {
    }

    private final Jdbi jdbi;
    private final DeviceStore store = new DeviceStore();
    private final Consistency consistency;

    public DeviceDetails(Jdbi jdbi) {
        this(jdbi, new Consistency());
    }

    /** @param consistency makes {@link #get} see this server's pending {@code lastSeenAt} times */
    public DeviceDetails(Jdbi jdbi, Consistency consistency) {
        this.jdbi = jdbi;
        this.consistency = consistency;
    }

    /** @throws DomainError.NotFound for an unknown device */
    public Detail get(String id) {
        return consistency.current(() -> jdbi.withHandle(h -> {
            Device d = store.find(h, id).orElseThrow(() -> new DomainError.NotFound("device"));
            record Stored(String json, long receivedAt) {
            }
            Optional<Stored> m = h.createQuery("SELECT manifest_json, received_at FROM device_manifests WHERE device_id = :d")
                    .bind("d", id).map((rs, ctx) -> new Stored(rs.getString(1), rs.getLong(2))).findOne();
            Optional<Intended> intended = h.createQuery("""
                            SELECT target_path, deployment_id, status, updated_at FROM device_assignments
                            WHERE device_id = :d""").bind("d", id)
                    .map((rs, ctx) -> new Intended(rs.getString(1), rs.getString(2), rs.getString(3),
                            Instant.ofEpochMilli(rs.getLong(4)).toString())).findOne();
            return new Detail(d, m.map(s -> DeviceStore.parse(s.json())),
                    m.map(s -> Instant.ofEpochMilli(s.receivedAt()).toString()), intended);
        }));
    }
}
