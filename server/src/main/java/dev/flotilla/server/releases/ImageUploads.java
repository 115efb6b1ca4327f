package dev.flotilla.server.releases;

import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.Hex;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.http.ApiException;
import dev.flotilla.core.io.Fsync;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Step one of a release: an image streamed into {@code DIR/staging/ID}, hashed (sha256, sha512) on the way,
 * refused beyond a size limit. The file is deleted on any failure (also a client that goes away mid-body);
 * a finished upload is synced to the disk ({@link Fsync}) and then recorded in the database, so that any
 * server sharing the data directory can complete the release and a recorded upload always has its bytes.
 */
public final class ImageUploads {
    /** A finished upload. */
    public record Upload(String uploadId, long length, String sha256, String sha512) {
    }

    /** The prefix of every upload id; an id is this and 16 URL-safe Base64 characters ({@link Secrets#newId}). */
    static final String ID_PREFIX = "upl_";
    private static final Pattern UPLOAD_ID = Pattern.compile(ID_PREFIX + "[A-Za-z0-9_-]{16}");

    private final Jdbi jdbi;
    private final Path stagingDir;
    private final long maxBytes;
    private final Clock clock;

    public ImageUploads(Jdbi jdbi, Path dataDir, long maxBytes, Clock clock) {
        this.jdbi = jdbi;
        this.stagingDir = dataDir.resolve("staging");
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Streams {@code in} to a staging file.
     *
     * @param declaredLength the Content-Length, or -1; a declared length above the limit is refused
     *                       before reading
     * @throws ApiException 413 {@code payload_too_large} beyond the limit, 400 for an empty body
     */
    public Upload receive(InputStream in, long declaredLength, Actor actor) {
        if (declaredLength > maxBytes) {
            throw tooLarge();
        }
        String id = Secrets.newId(ID_PREFIX);
        Path file = stagingDir.resolve(id);
        try {
            Files.createDirectories(stagingDir);
            MessageDigest sha256 = Digests.create("sha256");
            MessageDigest sha512 = Digests.create("sha512");
            long total = 0;
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    total += n;
                    if (total > maxBytes) {
                        throw tooLarge();
                    }
                    sha256.update(buf, 0, n);
                    sha512.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            if (total == 0) {
                throw ApiException.invalid("empty image");
            }
            Fsync.file(file);
            Fsync.directory(stagingDir);
            Upload u = new Upload(id, total, Hex.encode(sha256.digest()), Hex.encode(sha512.digest()));
            jdbi.useHandle(h -> h.createUpdate("""
                            INSERT INTO image_uploads (id, length, sha256, sha512, created_at, created_by)
                            VALUES (:id, :len, :s256, :s512, :now, :by)""")
                    .bind("id", id).bind("len", u.length()).bind("s256", u.sha256()).bind("s512", u.sha512())
                    .bind("now", clock.millis()).bind("by", actor.id()).execute());
            return u;
        } catch (IOException e) {
            deleteQuietly(file);
            throw new UncheckedIOException("receiving image: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(file);
            throw e;
        }
    }

    /**
     * {@code id} when it has the form of an id this server gives out; the one check of every upload id a
     * client sends, made before the id names a file under {@code staging/} or a row.
     *
     * @throws ApiException 400 {@code invalid_request} for anything else (e.g. {@code ../keys/director.pem})
     */
    public static String requireUploadId(String id) {
        if (id == null || !UPLOAD_ID.matcher(id).matches()) {
            throw ApiException.invalid("uploadId must be an id returned by POST /api/v1/releases/images"
                    + " (upl_ and 16 characters of [A-Za-z0-9_-])");
        }
        return id;
    }

    /** A finished upload by id, inside the caller's transaction. @throws ApiException 400 for a malformed id */
    public Optional<Upload> find(Handle h, String id) {
        return h.createQuery("SELECT id, length, sha256, sha512 FROM image_uploads WHERE id = :id")
                .bind("id", requireUploadId(id))
                .map((rs, ctx) -> new Upload(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4)))
                .findOne();
    }

    /** The staging file of an upload. @throws ApiException 400 for a malformed id (it never leaves staging/) */
    public Path file(String uploadId) {
        return stagingDir.resolve(requireUploadId(uploadId));
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
     * Forgets an upload and deletes its file (after it was released, or refused).
     *
     * @throws ApiException 400 for a malformed id, before anything is deleted
     */
    public void discard(String uploadId) {
        Path file = file(uploadId);
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM image_uploads WHERE id = :id").bind("id", uploadId).execute());
        deleteQuietly(file);
    }

    private static ApiException tooLarge() {
        return new ApiException(413, "payload_too_large", "image larger than the server's limit");
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // nothing more to do; a leftover staging file holds no state that matters
        }
    }
}
