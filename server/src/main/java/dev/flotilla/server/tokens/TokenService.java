package dev.flotilla.server.tokens;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Operator;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.auth.Secrets;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Limits;
import dev.flotilla.server.http.Page;
import org.jdbi.v3.core.Jdbi;

import java.time.Clock;
import java.util.Optional;

/**
 * Operator API tokens: creation (secret returned once, stored as SHA-256), listing, revocation, lookup by
 * secret, and the first-start admin token. Every change is audited in the same transaction.
 */
public final class TokenService {
    /** A token just created, with its secret: the only time the secret exists outside the caller. */
    public record Created(ApiToken token, String secret) {
    }

    private final Jdbi jdbi;
    private final AuditLog audit;
    private final Clock clock;
    private final TokenStore store = new TokenStore();

    public TokenService(Jdbi jdbi, AuditLog audit, Clock clock) {
        this.jdbi = jdbi;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Creates a token with {@code role}.
     *
     * @throws DomainError.Invalid {@code invalid_request} when {@code name} is longer than {@link Limits#NAME}
     *                             characters
     */
    public Created create(Actor actor, String name, Role role) {
        if (name != null && name.length() > Limits.NAME) {
            throw new DomainError.Invalid("invalid_request", "field 'name' is longer than " + Limits.NAME
                    + " characters");
        }
        String id = Secrets.newId("tok_");
        String secret = Secrets.newSecret("flt_");
        return jdbi.inTransaction(h -> {
            store.insert(h, id, name, role, Secrets.hash(secret), clock.millis(), actor.id());
            ApiToken token = store.find(h, id).orElseThrow();
            audit.record(h, actor, "token.create", "api-token", id, null, token);
            return new Created(token, secret);
        });
    }

    /**
     * On the first start of a database, creates an admin token and returns its secret; afterwards (or
     * when another server on the same database got there first) returns empty.
     */
    public Optional<String> bootstrapAdmin() {
        if (!jdbi.withHandle(h -> store.claimBootstrap(h, clock.millis()))) {
            return Optional.empty();
        }
        return jdbi.inTransaction(h -> {
            String id = Secrets.newId("tok_");
            String secret = Secrets.newSecret("flt_");
            store.insert(h, id, "initial-admin", Role.ADMIN, Secrets.hash(secret), clock.millis(), Actor.SYSTEM.id());
            audit.record(h, Actor.SYSTEM, "token.create", "api-token", id, null, store.find(h, id).orElseThrow());
            return Optional.of(secret);
        });
    }

    public Page<ApiToken> list(Page.Request page) {
        return Page.of(jdbi.withHandle(h -> store.list(h, page.offset(), page.limit() + 1)), page);
    }

    /**
     * Revokes a token; revoking a revoked token changes nothing.
     *
     * @throws DomainError.NotFound when unknown
     */
    public ApiToken revoke(Actor actor, String id) {
        return jdbi.inTransaction(h -> {
            ApiToken before = store.find(h, id).orElseThrow(() -> new DomainError.NotFound("token"));
            if (before.revoked()) {
                return before;
            }
            store.revoke(h, id, clock.millis());
            ApiToken after = store.find(h, id).orElseThrow();
            audit.record(h, actor, "token.revoke", "api-token", id, before, after);
            return after;
        });
    }

    /** The operator whose live token this secret is. */
    public Optional<Operator> authenticate(String secret) {
        if (!secret.startsWith("flt_")) {
            return Optional.empty();
        }
        return jdbi.withHandle(h -> store.findLiveByHash(h, Secrets.hash(secret)))
                .map(t -> new Operator(t.id(), t.name(), Role.fromWireName(t.role()).orElseThrow()));
    }

    /** The operator of the live (not revoked) token with this id: how a dashboard session re-checks its token. */
    public Optional<Operator> authenticateById(String tokenId) {
        return jdbi.withHandle(h -> store.find(h, tokenId)).filter(t -> !t.revoked())
                .map(t -> new Operator(t.id(), t.name(), Role.fromWireName(t.role()).orElseThrow()));
    }
}
