package dev.flotilla.server.trust;

import org.jdbi.v3.core.Handle;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * The published TUF metadata files in table {@code tuf_metadata}, by role and version. The bytes stored
 * are exactly the bytes served. {@link #lock} serialises publishers across servers.
 */
public final class TufStore {
    /** One stored file. */
    public record Stored(String role, long version, byte[] bytes, Instant expires) {
    }

    /** Takes the publish lock for the rest of the caller's transaction (a row lock, also across servers). */
    public void lock(Handle h) {
        h.createQuery("SELECT id FROM tuf_publish_lock WHERE id = 1 FOR UPDATE").mapTo(Integer.class).one();
    }

    public Optional<Stored> latest(Handle h, String role) {
        return h.createQuery("""
                        SELECT role_name, version, body, expires_at FROM tuf_metadata
                        WHERE role_name = :r ORDER BY version DESC LIMIT 1""")
                .bind("r", role).map((rs, ctx) -> new Stored(rs.getString(1), rs.getLong(2),
                        rs.getString(3).getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(rs.getLong(4))))
                .findOne();
    }

    public Optional<Stored> get(Handle h, String role, long version) {
        return h.createQuery("""
                        SELECT role_name, version, body, expires_at FROM tuf_metadata
                        WHERE role_name = :r AND version = :v""")
                .bind("r", role).bind("v", version).map((rs, ctx) -> new Stored(rs.getString(1), rs.getLong(2),
                        rs.getString(3).getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(rs.getLong(4))))
                .findOne();
    }

    /** Inserts a new version; a version that exists already fails with a unique violation. */
    public void insert(Handle h, String role, long version, byte[] bytes, Instant expires, long nowMillis) {
        h.createUpdate("""
                        INSERT INTO tuf_metadata (role_name, version, body, expires_at, created_at)
                        VALUES (:r, :v, :b, :e, :now)""")
                .bind("r", role).bind("v", version).bind("b", new String(bytes, StandardCharsets.UTF_8))
                .bind("e", expires.toEpochMilli()).bind("now", nowMillis).execute();
    }
}
