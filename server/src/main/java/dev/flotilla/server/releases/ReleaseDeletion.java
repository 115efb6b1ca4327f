package dev.flotilla.server.releases;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.artifacts.ArtifactStore;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.trust.Publisher;
import dev.flotilla.server.trust.TrustService;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Deletes a release that no device needs. A release is an entry of the signed targets metadata, a row and an
 * image file; the targets metadata is signed offline, so the request carries the next targets version,
 * signed offline, that lists exactly the current targets but this one ({@code flotilla release delete}
 * builds it). The server never drops a target on its own: it cannot sign targets.
 *
 * <p>Refused (a conflict, {@code release_in_use}) while an active device's latest manifest names it as installed, a
 * device holds a live (not yet committed, failed or rolled back) assignment to it, or a deployment can still
 * assign it: an active group or tag deployment, or one with members not yet signed. Deployments that used it
 * stay as history. Otherwise, in one transaction under the publish lock: the targets, a new snapshot and
 * timestamp, the release row's deletion and the audit entry {@code release.delete}. The image is removed from
 * the artifact store after that commit, unless another release keeps the same key (releases published before
 * artifact keys share a file per sha256): a crash or a store failure in between leaves an unused object, never
 * a release without its image.
 */
public final class ReleaseDeletion {
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseDeletion.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What still needs a release.
     *
     * @param runningDevices    active devices whose latest manifest names it as installed
     * @param liveAssignments   devices holding an assignment to it that is not final (nor withdrawn)
     * @param activeDeployments deployments and rollouts that may still assign it (active group or tag
     *                          deployments, rollouts created, active, paused or halted, or any with members not
     *                          yet signed)
     */
    public record Usage(int runningDevices, int liveAssignments, int activeDeployments) {
        boolean none() {
            return runningDevices == 0 && liveAssignments == 0 && activeDeployments == 0;
        }

        String describe() {
            List<String> parts = new ArrayList<>();
            if (runningDevices > 0) {
                parts.add(runningDevices + (runningDevices == 1 ? " device runs it" : " devices run it"));
            }
            if (liveAssignments > 0) {
                parts.add(liveAssignments + (liveAssignments == 1 ? " live assignment" : " live assignments"));
            }
            if (activeDeployments > 0) {
                parts.add(activeDeployments + (activeDeployments == 1 ? " active deployment" : " active deployments"));
            }
            return String.join(", ", parts);
        }
    }

    private final Jdbi jdbi;
    private final TufStore store;
    private final TrustService trust;
    private final Publisher publisher;
    private final ArtifactStore artifacts;
    private final AuditLog audit;
    private final Clock clock;

    public ReleaseDeletion(Jdbi jdbi, TufStore store, TrustService trust, Publisher publisher, ArtifactStore artifacts,
                           AuditLog audit, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.trust = trust;
        this.publisher = publisher;
        this.artifacts = artifacts;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Deletes release {@code path}, publishing {@code targetsBytes} (the next targets version without it).
     *
     * @return the release as it was
     * @throws DomainError.NotFound for an unknown release
     * @throws DomainError.Conflict {@code release_in_use} with the counts of {@link Usage}; {@code no_root},
     *                              {@code bad_version}
     * @throws DomainError.Invalid {@code malformed_metadata}, {@code unsigned_metadata}, {@code expired_metadata},
     *                             {@code targets_changed} (the metadata is not the current targets without exactly
     *                             this one)
     */
    public Release delete(String path, byte[] targetsBytes, Actor actor) {
        Metadata<Targets> md = TrustService.parse(targetsBytes, Targets.class);
        String[] key = new String[1];
        Release deleted = jdbi.inTransaction(h -> {
            store.lock(h);
            Release release = ReleaseService.find(h, path).orElseThrow(() -> new DomainError.NotFound("release"));
            key[0] = ReleaseService.artifactKey(h, path).orElseThrow();
            Usage usage = usage(h, path);
            if (!usage.none()) {
                throw new DomainError.Conflict("release_in_use", "release '" + path + "' is in use: " + usage.describe()
                        + "; move the devices to another release and cancel its deployments first");
            }
            trust.requireNextTargets(h, md);
            trust.requireCurrentTargets(h, md.signed(), Optional.of(path), version -> "a deletion publishes the "
                    + "current targets (version " + version + ") without '" + path
                    + "' and otherwise unchanged (flotilla release delete)");
            store.insert(h, "targets", md.signed().version(), md.toBytes(), md.signed().expires(), clock.millis());
            h.createUpdate("DELETE FROM device_assignments WHERE target_path = :p AND status = 'withdrawn'")
                    .bind("p", path).execute(); // nothing left to withdraw: devices cannot fetch it any more
            h.createUpdate("DELETE FROM releases WHERE target_path = :p").bind("p", path).execute();
            publisher.publishSnapshotAndTimestamp(h);
            audit.record(h, actor, "release.delete", "release", path, release, null);
            return release;
        });
        removeImageIfUnused(deleted, key[0]);
        return deleted;
    }

    /** What needs release {@code path} now. */
    static Usage usage(Handle h, String path) {
        // a cheap filter on the stored (compact) JSON, then the exact check on each candidate
        int running = (int) h.createQuery("""
                        SELECT m.manifest_json FROM device_manifests m JOIN devices d ON d.id = m.device_id
                        WHERE d.status = 'active' AND m.manifest_json LIKE :like""")
                .bind("like", "%\"installedTarget\":\"" + path + "\"%").mapTo(String.class).stream()
                .filter(json -> path.equals(installedTarget(json))).count();
        int live = h.createQuery("""
                        SELECT COUNT(*) FROM device_assignments
                        WHERE target_path = :p AND status NOT IN ('committed', 'failed', 'rolled_back', 'withdrawn')""")
                .bind("p", path).mapTo(Integer.class).one();
        int deployments = h.createQuery("""
                        SELECT COUNT(*) FROM deployments d WHERE d.target_path = :p
                          AND ((d.state = 'active' AND (d.group_name IS NOT NULL OR d.tag_name IS NOT NULL))
                               OR (d.kind = 'rollout' AND d.state IN ('created', 'active', 'paused', 'halted'))
                               OR EXISTS (SELECT 1 FROM deployment_pending p WHERE p.deployment_id = d.id))""")
                .bind("p", path).mapTo(Integer.class).one();
        return new Usage(running, live, deployments);
    }

    private static String installedTarget(String manifestJson) {
        try {
            return JSON.readTree(manifestJson).path("installedTarget").asText(null);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Removes the image unless another release keeps its key; a failure leaves an unused object. */
    private void removeImageIfUnused(Release r, String key) {
        try {
            int others = jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM releases WHERE artifact_key = :k")
                    .bind("k", key).mapTo(Integer.class).one());
            if (others == 0) {
                artifacts.delete(key);
            }
        } catch (RuntimeException e) {
            LOG.warn("release {} deleted, but its image {} could not be removed: {}", r.targetPath(), key,
                    e.getMessage());
        }
    }
}
