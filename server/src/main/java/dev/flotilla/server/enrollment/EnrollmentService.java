package dev.flotilla.server.enrollment;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Page;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Enrollment tokens: secrets that let a device enroll its own key. Each expires and enrolls at most its
 * {@code maxUses} devices, unless it is fleet-wide (no limit on uses, asked for explicitly). Revocable, stored
 * as SHA-256. Changes are audited.
 */
public final class EnrollmentService {
    /** A token just created, with the secret shown this once. */
    public record Created(EnrollmentToken token, String secret) {
    }

    /**
     * What a new token allows: it expires after {@code validFor} and enrolls at most {@code maxUses} devices,
     * or any number when {@code maxUses} is empty (a fleet-wide token).
     */
    public record Terms(Duration validFor, Optional<Long> maxUses) {
        /** Default lifetime of a token when the request names none. */
        public static final Duration DEFAULT_VALIDITY = Duration.ofDays(7);
    }

    private static final RowMapper<EnrollmentToken> MAPPER = (rs, ctx) -> new EnrollmentToken(rs.getString("id"),
            rs.getString("description"), time(rs.getObject("created_at")), time(rs.getObject("expires_at")),
            time(rs.getObject("revoked_at")), rs.getInt("uses"),
            rs.getObject("max_uses") == null ? null : rs.getLong("max_uses"));

    private final Jdbi jdbi;
    private final AuditLog audit;
    private final Clock clock;

    public EnrollmentService(Jdbi jdbi, AuditLog audit, Clock clock) {
        this.jdbi = jdbi;
        this.audit = audit;
        this.clock = clock;
    }

    /** Creates a token with {@code terms}. */
    public Created create(Actor actor, String description, Terms terms) {
        String id = Secrets.newId("enr_");
        String secret = Secrets.newSecret("fle_");
        long now = clock.millis();
        return jdbi.inTransaction(h -> {
            h.createUpdate("""
                            INSERT INTO enrollment_tokens (id, description, secret_hash, created_at, expires_at, uses,
                                                           max_uses)
                            VALUES (:id, :d, :hash, :now, :exp, 0, :max)""")
                    .bind("id", id).bind("d", description).bind("hash", Secrets.hash(secret)).bind("now", now)
                    .bind("exp", now + terms.validFor().toMillis()).bind("max", terms.maxUses().orElse(null)).execute();
            EnrollmentToken token = find(h, id).orElseThrow();
            audit.record(h, actor, "enrollment-token.create", "enrollment-token", id, null, token);
            return new Created(token, secret);
        });
    }

    public Page<EnrollmentToken> list(Page.Request page) {
        return Page.of(jdbi.withHandle(h -> h.createQuery(
                        "SELECT * FROM enrollment_tokens ORDER BY created_at, id LIMIT :limit OFFSET :offset")
                .bind("limit", page.limit() + 1).bind("offset", page.offset()).map(MAPPER).list()), page);
    }

    /**
     * Revokes a token; revoking a revoked token changes nothing.
     *
     * @throws DomainError.NotFound when unknown
     */
    public EnrollmentToken revoke(Actor actor, String id) {
        return jdbi.inTransaction(h -> {
            EnrollmentToken before = find(h, id).orElseThrow(() -> new DomainError.NotFound("enrollment token"));
            if (before.revokedAt() != null) {
                return before;
            }
            h.createUpdate("UPDATE enrollment_tokens SET revoked_at = :now WHERE id = :id")
                    .bind("now", clock.millis()).bind("id", id).execute();
            EnrollmentToken after = find(h, id).orElseThrow();
            audit.record(h, actor, "enrollment-token.revoke", "enrollment-token", id, before, after);
            return after;
        });
    }

    /**
     * Uses a token inside the caller's transaction: counts the use and returns the actor to audit as.
     *
     * @throws DomainError.Unauthenticated {@code invalid_enrollment_token} when the secret is unknown, revoked,
     *                                     expired or used up (one answer for all: it tells nothing about the
     *                                     token)
     */
    public Actor consume(Handle h, String secret) {
        int updated = h.createUpdate("""
                        UPDATE enrollment_tokens SET uses = uses + 1
                        WHERE secret_hash = :hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)
                        AND (max_uses IS NULL OR uses < max_uses)""")
                .bind("hash", Secrets.hash(secret)).bind("now", clock.millis()).execute();
        if (updated != 1) {
            throw new DomainError.Unauthenticated("invalid_enrollment_token",
                    "enrollment token unknown, revoked, expired or used up");
        }
        EnrollmentToken t = h.createQuery("SELECT * FROM enrollment_tokens WHERE secret_hash = :hash")
                .bind("hash", Secrets.hash(secret)).map(MAPPER).one();
        return new Actor("enrollment-token", t.id(), t.description());
    }

    private static Optional<EnrollmentToken> find(Handle h, String id) {
        return h.createQuery("SELECT * FROM enrollment_tokens WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    private static String time(Object millis) {
        return millis == null ? null : Instant.ofEpochMilli(((Number) millis).longValue()).toString();
    }
}
