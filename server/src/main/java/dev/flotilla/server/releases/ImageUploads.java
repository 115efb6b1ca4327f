package dev.flotilla.server.releases;

import dev.flotilla.server.artifacts.ArtifactStore;
import dev.flotilla.server.artifacts.ArtifactStoreException;
import dev.flotilla.server.artifacts.ArtifactTooLargeException;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.errors.DomainError;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Step one of a release: an image streamed into the {@link ArtifactStore} under {@code artifacts/ID}, hashed
 * (sha256, sha512) on the way, refused beyond a size limit. The store keeps nothing on any failure (also a
 * client that goes away mid-body, or an object store that becomes unreachable); a finished upload is then
 * recorded in the database, so that any server sharing the store can complete the release, and a recorded
 * upload always has its bytes. Publishing records the same key for the release: the bytes never move.
 */
public final class ImageUploads {
    private static final Logger LOG = LoggerFactory.getLogger(ImageUploads.class);
    /** A finished upload. */
    public record Upload(String uploadId, long length, String sha256, String sha512) {
    }

    /** The prefix of every upload id; an id is this and 16 URL-safe Base64 characters ({@link Secrets#newId}). */
    static final String ID_PREFIX = "upl_";
    private static final Pattern UPLOAD_ID = Pattern.compile(ID_PREFIX + "[A-Za-z0-9_-]{16}");

    private final Jdbi jdbi;
    private final ArtifactStore store;
    private final long maxBytes;
    private final Clock clock;

    public ImageUploads(Jdbi jdbi, ArtifactStore store, long maxBytes, Clock clock) {
        this.jdbi = jdbi;
        this.store = store;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Streams {@code in} into the artifact store.
     *
     * @param declaredLength the Content-Length, or -1; a declared length above the limit is refused
     *                       before reading
     * @throws DomainError.TooLarge beyond the limit
     * @throws DomainError.Invalid {@code invalid_request} for an empty body
     * @throws ArtifactStoreException when the store fails (nothing is stored)
     */
    public Upload receive(InputStream in, long declaredLength, Actor actor) {
        if (declaredLength > maxBytes) {
            throw tooLarge();
        }
        String id = Secrets.newId(ID_PREFIX);
        String key = key(id);
        ArtifactStore.Stored stored;
        try {
            stored = store.put(key, in, maxBytes);
        } catch (ArtifactTooLargeException e) {
            throw tooLarge();
        }
        try {
            if (stored.length() == 0) {
                throw new DomainError.Invalid("invalid_request", "empty image");
            }
            Upload u = new Upload(id, stored.length(), stored.sha256(), stored.sha512());
            jdbi.useHandle(h -> h.createUpdate("""
                            INSERT INTO image_uploads (id, length, sha256, sha512, created_at, created_by)
                            VALUES (:id, :len, :s256, :s512, :now, :by)""")
                    .bind("id", id).bind("len", u.length()).bind("s256", u.sha256()).bind("s512", u.sha512())
                    .bind("now", clock.millis()).bind("by", actor.id()).execute());
            return u;
        } catch (RuntimeException e) {
            deleteQuietly(key);
            throw e;
        }
    }

    /** The artifact-store key of an upload's bytes, which its release keeps. */
    static String key(String uploadId) {
        return "artifacts/" + requireUploadId(uploadId);
    }

    /**
     * {@code id} when it has the form of an id this server gives out; the one check of every upload id a
     * client sends, made before the id names an object or a row.
     *
     * @throws DomainError.Invalid {@code invalid_request} for anything else (e.g. {@code ../keys/director.pem})
     */
    public static String requireUploadId(String id) {
        if (id == null || !UPLOAD_ID.matcher(id).matches()) {
            throw new DomainError.Invalid("invalid_request", "uploadId must be an id returned by POST"
                    + " /api/v1/releases/images (upl_ and 16 characters of [A-Za-z0-9_-])");
        }
        return id;
    }

    /**
     * A finished upload by id, inside the caller's transaction.
     *
     * @throws DomainError.Invalid {@code invalid_request} for a malformed id
     */
    public Optional<Upload> find(Handle h, String id) {
        return h.createQuery("SELECT id, length, sha256, sha512 FROM image_uploads WHERE id = :id")
                .bind("id", requireUploadId(id))
                .map((rs, ctx) -> new Upload(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4)))
                .findOne();
    }

    /**
     * Discards uploads older than {@code age} that never became a release (abandoned, or their release
     * request was too malformed to name them). Run by the scheduler on every server.
     *
     * @return how many were discarded
     */
    public int purgeOlderThan(java.time.Duration age) {
        List<String> stale = jdbi.withHandle(h -> h.createQuery("SELECT id FROM image_uploads WHERE created_at < :t")
                .bind("t", clock.millis() - age.toMillis()).mapTo(String.class).list());
        stale.forEach(this::discard);
        return stale.size();
    }

    /**
     * Forgets an upload and deletes its bytes (after it was refused, or abandoned). The bytes go only when
     * this call removed the upload's row: an upload that became a release in the meantime keeps them.
     *
     * @throws DomainError.Invalid {@code invalid_request} for a malformed id, before anything is deleted
     */
    public void discard(String uploadId) {
        String key = key(uploadId);
        int removed = jdbi.withHandle(h -> h.createUpdate("DELETE FROM image_uploads WHERE id = :id")
                .bind("id", uploadId).execute());
        if (removed == 1) {
            deleteQuietly(key);
        }
    }

    private static DomainError.TooLarge tooLarge() {
        return new DomainError.TooLarge("image larger than the server's limit");
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (ArtifactStoreException e) {
            LOG.warn("an unused upload could not be removed: {}", e.getMessage());
        }
    }
}
