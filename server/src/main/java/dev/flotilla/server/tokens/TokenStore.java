package dev.flotilla.server.tokens;

import dev.flotilla.server.auth.Role;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Rows of {@code api_tokens}; every method runs on the caller's handle (and transaction). */
final class TokenStore {
    private static final RowMapper<ApiToken> MAPPER = (rs, ctx) -> new ApiToken(rs.getString("id"),
            rs.getString("name"), rs.getString("role_name"), Instant.ofEpochMilli(rs.getLong("created_at")).toString(),
            rs.getString("created_by"), millis(rs.getObject("revoked_at")));

    void insert(Handle h, String id, String name, Role role, String secretHash, long now, String createdBy) {
        h.createUpdate("""
                        INSERT INTO api_tokens (id, name, role_name, secret_hash, created_at, created_by)
                        VALUES (:id, :name, :role, :hash, :now, :by)""")
                .bind("id", id).bind("name", name).bind("role", role.wireName()).bind("hash", secretHash)
                .bind("now", now).bind("by", createdBy).execute();
    }

    Optional<ApiToken> find(Handle h, String id) {
        return h.createQuery("SELECT * FROM api_tokens WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    Optional<ApiToken> findLiveByHash(Handle h, String secretHash) {
        return h.createQuery("SELECT * FROM api_tokens WHERE secret_hash = :hash AND revoked_at IS NULL")
                .bind("hash", secretHash).map(MAPPER).findOne();
    }

    List<ApiToken> list(Handle h, int offset, int limit) {
        return h.createQuery("SELECT * FROM api_tokens ORDER BY created_at, id LIMIT :limit OFFSET :offset")
                .bind("limit", limit).bind("offset", offset).map(MAPPER).list();
    }

    void revoke(Handle h, String id, long now) {
        h.createUpdate("UPDATE api_tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", now).bind("id", id).execute();
    }

    /**
     * Claims the one-time bootstrap; true only for the first caller ever on this database. Run it in
     * autocommit mode: a refused insert aborts a PostgreSQL transaction.
     */
    boolean claimBootstrap(Handle h, long now) {
        try {
            h.createUpdate("INSERT INTO server_bootstrap (id, created_at) VALUES (1, :now)").bind("now", now).execute();
            return true;
        } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException e) {
            return false;
        }
    }

    private static String millis(Object value) {
        return value == null ? null : Instant.ofEpochMilli(((Number) value).longValue()).toString();
    }
}
