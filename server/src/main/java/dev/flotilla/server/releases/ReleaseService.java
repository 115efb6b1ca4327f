package dev.flotilla.server.releases;

import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.trust.Publisher;
import dev.flotilla.server.trust.TrustService;
import dev.flotilla.server.trust.TufStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Step two of a release: targets metadata signed offline that lists an uploaded image. Accepted only when
 * it verifies against the current root's targets role, is the next targets version, lists the image
 * under a {@code path} never published before with identical length and hashes, and every other target it
 * lists is an image the server already has, listed as the current targets list it (a published target
 * never changes). Then, in one transaction under the publish lock: targets, the release row (which keeps the
 * upload's artifact key: the image's bytes stay where the upload stored them, nothing moves), a new snapshot
 * and timestamp, and the audit entry are stored, and the upload's row is consumed. Any refusal changes
 * nothing and discards the upload.
 */
public final class ReleaseService {
    private static final Pattern TARGET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,199}");

    private final Jdbi jdbi;
    private final TufStore store;
    private final TrustService trust;
    private final Publisher publisher;
    private final ImageUploads uploads;
    private final AuditLog audit;
    private final Clock clock;

    public ReleaseService(Jdbi jdbi, TufStore store, TrustService trust, Publisher publisher, ImageUploads uploads,
                          AuditLog audit, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.trust = trust;
        this.publisher = publisher;
        this.uploads = uploads;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Publishes a release.
     *
     * @throws DomainError.Invalid {@code malformed_metadata}, {@code unsigned_metadata}, {@code expired_metadata},
     *                             {@code image_mismatch}, {@code invalid_firmware}, {@code unknown_target},
     *                             {@code targets_changed} (the metadata drops a published target),
     *                             {@code invalid_request} (also a malformed upload id: then nothing is discarded)
     * @throws DomainError.NotFound for an unknown upload
     * @throws DomainError.Conflict {@code no_root}, {@code bad_version}, {@code target_exists} (the path is already
     *                              published, or the metadata changes a published target's entry)
     */
    public Release publish(String uploadId, String path, byte[] targetsBytes, Actor actor) {
        ImageUploads.requireUploadId(uploadId);
        try {
            return doPublish(uploadId, path, targetsBytes, actor);
        } catch (RuntimeException e) {
            uploads.discard(uploadId);
            throw e;
        }
    }

    private Release doPublish(String uploadId, String path, byte[] targetsBytes, Actor actor) {
        if (!TARGET_NAME.matcher(path).matches()) {
            throw new DomainError.Invalid("invalid_request",
                    "target path must be a simple file name ([A-Za-z0-9._+-], up to 200 characters)");
        }
        Metadata<Targets> md = TrustService.parse(targetsBytes, Targets.class);
        return jdbi.inTransaction(h -> {
            store.lock(h);
            trust.requireNextTargets(h, md);
            ImageUploads.Upload upload = uploads.find(h, uploadId)
                    .orElseThrow(() -> new DomainError.NotFound("upload"));
            TargetFile entry = md.signed().targets().get(path);
            if (entry == null) {
                throw new DomainError.Invalid("image_mismatch", "the targets metadata does not list '" + path + "'");
            }
            requireSameImage(path, entry, upload.length(), upload.sha256(), upload.sha512());
            FirmwareInfo info;
            try {
                info = FirmwareInfo.fromTarget(entry);
            } catch (RepositoryError e) {
                throw new DomainError.Invalid("invalid_firmware", e.getMessage());
            }
            requireNew(h, path, upload.sha256());
            requirePublishedUnchanged(h, md.signed(), path);
            long now = clock.millis();
            store.insert(h, "targets", md.signed().version(), md.toBytes(), md.signed().expires(), now);
            h.createUpdate("""
                            INSERT INTO releases (target_path, length, sha256, sha512, version, targets_version, created_at,
                                                  artifact_key)
                            VALUES (:p, :len, :s256, :s512, :v, :tv, :now, :key)""")
                    .bind("p", path).bind("len", upload.length()).bind("s256", upload.sha256())
                    .bind("s512", upload.sha512()).bind("v", info.version()).bind("tv", md.signed().version())
                    .bind("now", now).bind("key", ImageUploads.key(uploadId)).execute();
            if (h.createUpdate("DELETE FROM image_uploads WHERE id = :id").bind("id", uploadId).execute() != 1) {
                throw new DomainError.NotFound("upload"); // purged meanwhile (ImageUploads#discard): its bytes are gone
            }
            publisher.publishSnapshotAndTimestamp(h);
            Release release = find(h, path).orElseThrow();
            audit.record(h, actor, "release.publish", "release", path, null, release);
            return release;
        });
    }

    /** A published target never changes: its path cannot be published again, with other bytes or the same. */
    private static void requireNew(Handle h, String path, String sha256) {
        Optional<Release> existing = find(h, path);
        if (existing.isEmpty()) {
            return;
        }
        Release r = existing.get();
        throw new DomainError.Conflict("target_exists", r.sha256().equals(sha256)
                ? "target '" + path + "' is already published with these bytes (version " + r.version()
                        + ", targets version " + r.targetsVersion() + "); a published target never changes:"
                        + " publish a new version under a new name"
                : "target '" + path + "' is already published with other content; publish new images under a new name");
    }

    /**
     * Every target the metadata lists besides {@code path} must be a published release with the same bytes,
     * and one the current targets list must be listed exactly so (the same firmware fields too).
     */
    private void requirePublishedUnchanged(Handle h, Targets next, String path) {
        Map<String, TargetFile> current = store.latest(h, "targets")
                .map(s -> Metadata.fromBytes(s.bytes(), Targets.class).signed().targets()).orElse(Map.of());
        for (String published : current.keySet()) {
            if (!next.targets().containsKey(published)) {
                throw new DomainError.Invalid("targets_changed", "the targets metadata drops the published target '"
                        + published + "'; a release is removed only by deleting it (DELETE /api/v1/releases/{path},"
                        + " flotilla release delete), which checks that no device needs it");
            }
        }
        for (Map.Entry<String, TargetFile> e : next.targets().entrySet()) {
            if (e.getKey().equals(path)) {
                continue;
            }
            Release r = find(h, e.getKey()).orElseThrow(() -> new DomainError.Invalid("unknown_target",
                    "the targets metadata lists '" + e.getKey() + "', which was never uploaded"));
            requireSameImage(e.getKey(), e.getValue(), r.length(), r.sha256(), r.sha512());
            TargetFile listed = current.get(e.getKey());
            if (listed != null && !listed.equals(e.getValue())) {
                throw new DomainError.Conflict("target_exists", "the targets metadata changes the entry of the"
                        + " published target '" + e.getKey() + "' (its firmware fields); a published target"
                        + " never changes");
            }
        }
    }

    private static void requireSameImage(String path, TargetFile entry, long length, String sha256, String sha512) {
        if (entry.length() != length) {
            throw new DomainError.Invalid("image_mismatch", "'" + path + "': signed length " + entry.length()
                    + " differs from the image's " + length);
        }
        if (!entry.hashes().containsKey("sha256")) {
            throw new DomainError.Invalid("image_mismatch", "'" + path + "': the signed entry has no sha256");
        }
        for (Map.Entry<String, String> e : entry.hashes().entrySet()) {
            String actual = switch (e.getKey()) {
                case "sha256" -> sha256;
                case "sha512" -> sha512;
                default -> throw new DomainError.Invalid("image_mismatch", "'" + path + "': hash algorithm '"
                        + e.getKey() + "' is not supported by the server");
            };
            if (!actual.equalsIgnoreCase(e.getValue())) {
                throw new DomainError.Invalid("image_mismatch", "'" + path + "': the image's " + e.getKey()
                        + " differs from the signed entry");
            }
        }
    }

    /** The artifact-store key of release {@code path}'s image. */
    public Optional<String> artifactKey(String path) {
        return jdbi.withHandle(h -> artifactKey(h, path));
    }

    static Optional<String> artifactKey(Handle h, String path) {
        return h.createQuery("SELECT artifact_key FROM releases WHERE target_path = :p").bind("p", path)
                .mapTo(String.class).findOne();
    }

    public Optional<Release> find(String path) {
        return jdbi.withHandle(h -> find(h, path));
    }

    /** The release whose path is {@code name} and one of whose hashes is {@code hash}. */
    public Optional<Release> findByHashAndName(String hash, String name) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT * FROM releases WHERE target_path = :p AND (sha256 = :h OR sha512 = :h)")
                .bind("p", name).bind("h", hash).map((rs, ctx) -> map(rs)).findOne());
    }

    static Optional<Release> find(Handle h, String path) {
        return h.createQuery("SELECT * FROM releases WHERE target_path = :p").bind("p", path)
                .map((rs, ctx) -> map(rs)).findOne();
    }

    public Page<Release> list(Page.Request page) {
        return Page.of(jdbi.withHandle(h -> h.createQuery(
                        "SELECT * FROM releases ORDER BY created_at, target_path LIMIT :limit OFFSET :offset")
                .bind("limit", page.limit() + 1).bind("offset", page.offset())
                .map((rs, ctx) -> map(rs)).list()), page);
    }

    private static Release map(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Release(rs.getString("target_path"), rs.getLong("length"), rs.getString("sha256"),
                rs.getString("sha512"), rs.getString("version"), rs.getLong("targets_version"),
                Instant.ofEpochMilli(rs.getLong("created_at")).toString());
    }
}
