package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.store.Consistency;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One device as its page shows it: the inventory row, its latest verified manifest and when the server
 * verified it, and what it is meant to run (its current director assignment). Reads only.
 */
public final class DeviceDetails {
    /**
     * The device's current assignment: target, the firmware version of its release (null when the release is
     * gone), deployment, state and when that state was written.
     */
    public record Intended(String targetPath, String version, String deploymentId, String status, String updatedAt) {
    }

    /**
     * Empty optionals where the device never checked in or has no assignment. {@code installedVersion} is the
     * version of the release its manifest names as installed, else the manifest's own {@code installedVersion}
     * (a target that is no release here), as in the device list ({@link Listed}).
     */
    public record Detail(Device device, Optional<JsonNode> manifest, Optional<String> manifestVerifiedAt,
                         Optional<String> installedVersion, Optional<Intended> intended) {
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
            record Stored(String json, long receivedAt, String releaseVersion) {
            }
            Optional<Stored> m = h.createQuery("""
                            SELECT m.manifest_json, m.received_at,
                                   (SELECT MIN(r.version) FROM releases r WHERE r.target_path = m.installed_target)
                            FROM device_manifests m WHERE m.device_id = :d""")
                    .bind("d", id).map((rs, ctx) -> new Stored(rs.getString(1), rs.getLong(2), rs.getString(3)))
                    .findOne();
            Optional<Intended> intended = h.createQuery("""
                            SELECT a.target_path, (SELECT MIN(r.version) FROM releases r WHERE r.target_path = a.target_path),
                                   a.deployment_id, a.status, a.updated_at
                            FROM device_assignments a WHERE a.device_id = :d""").bind("d", id)
                    .map((rs, ctx) -> new Intended(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            Instant.ofEpochMilli(rs.getLong(5)).toString())).findOne();
            Optional<JsonNode> manifest = m.map(s -> DeviceStore.parse(s.json()));
            Optional<String> installedVersion = m.flatMap(s -> Optional.ofNullable(s.releaseVersion()))
                    .or(() -> manifest.map(j -> j.path("installedVersion").asText(null)));
            return new Detail(d, manifest, m.map(s -> Instant.ofEpochMilli(s.receivedAt()).toString()),
                    installedVersion, intended);
        }));
    }

    /**
     * Of {@code rolloutIds}, those the device belongs to: rollouts (deployments included: they are one-stage rollouts) in
     * which it has a row, and the one whose assignment it holds. A device's events may name any id (its own
     * reports), so the device page links an update to a rollout only when it is one of these.
     */
    public Set<String> memberOf(String deviceId, Collection<String> rolloutIds) {
        if (rolloutIds.isEmpty()) {
            return Set.of();
        }
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT rollout_id FROM rollout_devices WHERE device_id = :d AND rollout_id IN (<ids>)
                        UNION
                        SELECT deployment_id FROM device_assignments WHERE device_id = :d AND deployment_id IN (<ids>)""")
                .bind("d", deviceId).bindList("ids", List.copyOf(rolloutIds)).mapTo(String.class).set());
    }
}
