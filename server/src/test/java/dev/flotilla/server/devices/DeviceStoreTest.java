package dev.flotilla.server.devices;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.auth.Actor;
import dev.flotilla.server.enrollment.EnrollmentService;
import dev.flotilla.server.errors.DomainError;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceStoreTest {
    private static final Actor OP = new Actor("token", "tok_op", "operator");

    private record Services(DeviceService devices, EnrollmentService enrollment, DeviceEvents events, AuditLog audit) {
    }

    private static Services services(Database db, MutableClock clock) {
        AuditLog audit = new AuditLog(clock);
        EnrollmentService enrollment = new EnrollmentService(db.jdbi(), audit, clock);
        return new Services(new DeviceService(db.jdbi(), audit, enrollment, clock), enrollment,
                new DeviceEvents(db.jdbi(), clock), audit);
    }

    private static Device enroll(Services s, String secret, String hw) {
        TestDevice d = new TestDevice(KeyType.ED25519);
        return s.devices().enroll(new DeviceService.Enrollment(Optional.of(secret), DeviceKeys.parse(d.publicKeyJson()),
                hw, JsonNodeFactory.instance.objectNode()));
    }

    @StoreTest
    void listFiltersByHardwareTagAndGroupAndPages(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            Services s = services(db, new MutableClock());
            String secret = s.enrollment().create(OP, "line", FLEET).secret();
            for (int i = 0; i < 5; i++) {
                Device d = enroll(s, secret, i % 2 == 0 ? "board-a" : "board-b");
                s.devices().setTags(OP, d.id(), i < 3 ? List.of("eu", "canary") : List.of("us"));
                s.devices().setGroup(OP, d.id(), i == 0 ? "lab" : null);
            }
            assertThat(s.devices().list(new DeviceFilter("board-a", null, null, null), new Page.Request(0, 50)).items()).hasSize(3);
            assertThat(s.devices().list(new DeviceFilter(null, "canary", null, null), new Page.Request(0, 50)).items()).hasSize(3);
            assertThat(s.devices().list(new DeviceFilter("board-b", "us", null, null), new Page.Request(0, 50)).items()).hasSize(1);
            assertThat(s.devices().list(new DeviceFilter(null, null, "lab", null), new Page.Request(0, 50)).items()).hasSize(1);

            Page<Listed> first = s.devices().list(new DeviceFilter(null, null, null, null), new Page.Request(0, 2));
            Page<Listed> last = s.devices().list(new DeviceFilter(null, null, null, null), new Page.Request(4, 2));
            assertThat(first.items()).hasSize(2);
            assertThat(first.nextOffset()).isEqualTo(2);
            assertThat(last.items()).hasSize(1);
            assertThat(last.nextOffset()).isNull();
        }
    }

    /** A fleet-wide token for a day. */
    private static final EnrollmentService.Terms FLEET = new EnrollmentService.Terms(Duration.ofDays(1), Optional.empty());

    @StoreTest
    void anEnrollmentTokenEnrollsAtMostItsMaxUsesDevicesAndCountsThem(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            Services s = services(db, new MutableClock());
            EnrollmentService.Created two = s.enrollment().create(OP, "two boards",
                    new EnrollmentService.Terms(Duration.ofHours(1), Optional.of(2L)));
            assertThat(two.token().maxUses()).isEqualTo(2L);
            enroll(s, two.secret(), "board-a");
            enroll(s, two.secret(), "board-a");
            assertThatThrownBy(() -> enroll(s, two.secret(), "board-a"))
                    .isInstanceOfSatisfying(DomainError.Unauthenticated.class, e -> assertThat(e.code()).isEqualTo("invalid_enrollment_token"));
            assertThat(s.enrollment().list(new Page.Request(0, 10)).items()).singleElement()
                    .satisfies(t -> assertThat(t.uses()).isEqualTo(2));
            assertThat(s.devices().list(new DeviceFilter(null, null, null, null), new Page.Request(0, 50)).items()).hasSize(2);
        }
    }

    @StoreTest
    void enrollmentTokenIsRefusedWhenRevokedOrExpired(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            MutableClock clock = new MutableClock();
            Services s = services(db, clock);
            EnrollmentService.Created revoked = s.enrollment().create(OP, "old", FLEET);
            s.enrollment().revoke(OP, revoked.token().id());
            EnrollmentService.Created shortLived = s.enrollment().create(OP, "short", new EnrollmentService.Terms(Duration.ofMinutes(1), Optional.empty()));
            clock.advance(Duration.ofMinutes(2));

            for (String secret : List.of(revoked.secret(), shortLived.secret(), "fle_unknown")) {
                assertThatThrownBy(() -> enroll(s, secret, "board-a"))
                        .isInstanceOfSatisfying(DomainError.Unauthenticated.class, e -> assertThat(e.code()).isEqualTo("invalid_enrollment_token"));
            }
            assertThat(s.devices().list(new DeviceFilter(null, null, null, null), new Page.Request(0, 50)).items()).isEmpty();
        }
    }

    @StoreTest
    void sameKeyCannotEnrollTwice(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            Services s = services(db, new MutableClock());
            String secret = s.enrollment().create(OP, "line", FLEET).secret();
            TestDevice d = new TestDevice(KeyType.ECDSA_P256);
            DeviceService.Enrollment e = new DeviceService.Enrollment(Optional.of(secret),
                    DeviceKeys.parse(d.publicKeyJson()), "board-a", JsonNodeFactory.instance.objectNode());
            s.devices().enroll(e);
            assertThatThrownBy(() -> s.devices().enroll(e))
                    .isInstanceOfSatisfying(DomainError.Conflict.class, x -> assertThat(x.code()).isEqualTo("device_exists"));
        }
    }

    @StoreTest
    void preRegisteredKeyEnrollsWithoutToken(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            Services s = services(db, new MutableClock());
            TestDevice d = new TestDevice(KeyType.ED25519);
            Device registered = s.devices().preRegister(OP, DeviceKeys.parse(d.publicKeyJson()), "board-c", "lab", List.of("x"));
            Device enrolled = s.devices().enroll(new DeviceService.Enrollment(Optional.empty(),
                    DeviceKeys.parse(d.publicKeyJson()), "board-c", JsonNodeFactory.instance.objectNode()));
            assertThat(enrolled.id()).isEqualTo(registered.id());
            assertThat(enrolled.tags()).containsExactly("x");
        }
    }

    @StoreTest
    void eventsAreStoredOncePerEventId(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            Services s = services(db, new MutableClock());
            Device d = enroll(s, s.enrollment().create(OP, "line", FLEET).secret(), "board-a");
            EventBatch batch = EventBatch.parse(dev.flotilla.core.json.CanonicalJson.parse(
                    "{\"events\":[{\"eventId\":\"e1\",\"type\":\"installed\"},{\"eventId\":\"e2\",\"type\":\"rebooting\"}]}"
                            .getBytes()));
            assertThat(s.events().record(d.id(), batch)).isEqualTo(new DeviceEvents.Outcome(2, 0));
            assertThat(s.events().record(d.id(), batch)).isEqualTo(new DeviceEvents.Outcome(0, 2));
            assertThat(s.events().list(d.id(), new Page.Request(0, 50), dev.flotilla.server.http.ListOrder.ASC).items())
                    .extracting(DeviceEvent::eventId).containsExactly("e1", "e2");
        }
    }

    @StoreTest
    void decommissionIsAuditedWithBeforeAndAfterStatus(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            Services s = services(db, new MutableClock());
            Device d = enroll(s, s.enrollment().create(OP, "line", FLEET).secret(), "board-a");
            s.devices().decommission(OP, d.id());
            var last = db.jdbi().withHandle(h -> s.audit().list(h, new Page.Request(0, 50))).getLast();
            assertThat(last.action()).isEqualTo("device.decommission");
            assertThat(last.before().path("status").asText()).isEqualTo("active");
            assertThat(last.after().path("status").asText()).isEqualTo("decommissioned");
        }
    }
}
