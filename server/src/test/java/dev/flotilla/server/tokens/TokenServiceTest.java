package dev.flotilla.server.tokens;

import dev.flotilla.server.audit.AuditEntry;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.auth.Role;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenServiceTest {
    private static final Actor ADMIN = new Actor("token", "tok_admin", "admin");

    @StoreTest
    void bootstrapCreatesOneAdminTokenOnlyOnce(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            MutableClock clock = new MutableClock();
            TokenService tokens = new TokenService(db.jdbi(), new AuditLog(clock), clock);
            String secret = tokens.bootstrapAdmin().orElseThrow();
            assertThat(tokens.bootstrapAdmin()).isEmpty();
            assertThat(tokens.authenticate(secret)).get().extracting(o -> o.role()).isEqualTo(Role.ADMIN);
            assertThat(tokens.list(new Page.Request(0, 10)).items()).hasSize(1);
        }
    }

    @StoreTest
    void tokensAreStoredHashedAndStopWorkingWhenRevoked(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            MutableClock clock = new MutableClock();
            TokenService tokens = new TokenService(db.jdbi(), new AuditLog(clock), clock);
            TokenService.Created c = tokens.create(ADMIN, "ci", Role.RELEASE_MANAGER);
            List<String> stored = db.jdbi().withHandle(h ->
                    h.createQuery("SELECT secret_hash FROM api_tokens").mapTo(String.class).list());
            assertThat(stored).doesNotContain(c.secret()).hasSize(1);
            assertThat(tokens.authenticate(c.secret())).get().extracting(o -> o.role()).isEqualTo(Role.RELEASE_MANAGER);

            tokens.revoke(ADMIN, c.token().id());
            assertThat(tokens.authenticate(c.secret())).isEmpty();
            assertThat(tokens.authenticate("flt_forged")).isEmpty();
        }
    }

    @StoreTest
    void everyChangeIsAuditedWithBeforeAndAfter(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            MutableClock clock = new MutableClock();
            AuditLog audit = new AuditLog(clock);
            TokenService tokens = new TokenService(db.jdbi(), audit, clock);
            TokenService.Created c = tokens.create(ADMIN, "ci", Role.VIEWER);
            tokens.revoke(ADMIN, c.token().id());

            List<AuditEntry> log = db.jdbi().withHandle(h -> audit.list(h, new Page.Request(0, 10)));
            assertThat(log).extracting(AuditEntry::action).containsExactly("token.create", "token.revoke");
            AuditEntry revoke = log.get(1);
            assertThat(revoke.actorId()).isEqualTo("tok_admin");
            assertThat(revoke.before().path("revokedAt").isNull()).isTrue();
            assertThat(revoke.after().path("revokedAt").isTextual()).isTrue();
            assertThat(log.get(0).before()).isNull();
        }
    }

    @StoreTest
    void revokingAnUnknownTokenIs404AndAuditsNothing(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            MutableClock clock = new MutableClock();
            AuditLog audit = new AuditLog(clock);
            TokenService tokens = new TokenService(db.jdbi(), audit, clock);
            assertThatThrownBy(() -> tokens.revoke(ADMIN, "tok_nope"))
                    .isInstanceOfSatisfying(DomainError.NotFound.class, e -> assertThat(e.code()).isEqualTo("not_found"));
            List<AuditEntry> log = db.jdbi().withHandle(h -> audit.list(h, new Page.Request(0, 10)));
            assertThat(log).isEmpty();
        }
    }
}
