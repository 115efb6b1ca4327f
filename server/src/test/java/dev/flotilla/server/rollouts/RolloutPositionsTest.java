package dev.flotilla.server.rollouts;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dynamic selection's kept positions ({@code rollout_positions}) follow every kind of membership change through
 * the change queue the database triggers fill, and the cohorts admitted from them are exactly those of ranking
 * the whole selection again ({@link Cohorts#cohort}). Real HTTP, H2 and PostgreSQL.
 */
class RolloutPositionsTest extends FleetTest {
    @StoreTest
    void keptPositionsFollowJoinsAndLeavesAndAdmitWhatRankingTheWholeSelectionAdmits(TestDatabase db) {
        fleet = new Fleet(db, dir);
        List<TestDevice> lab = fleet.devices(5, "board-a");
        lab.forEach(d -> fleet.setGroup(d, "lab"));
        String id = fleet.start(Map.of("target", "fw-2.0.bin",
                "selection", Map.of("groups", List.of("lab"), "installedVersion", Map.of("below", "1.5.0")),
                "plan", Fleet.plan("{'stages': [{'percent': 20}, {'percent': 100}], 'soakSeconds': 86400}")))
                .path("id").asText();
        Set<String> admitted = check(id, Set.of());
        assertThat(admitted).hasSize(1);

        List<TestDevice> late = fleet.devices(9, "board-a");
        fleet.setGroup(late.get(0), "lab"); // joins by its group
        admitted = tickAndCheck(id, admitted);
        fleet.setGroup(lab.get(1), "elsewhere"); // leaves by its group
        admitted = tickAndCheck(id, admitted);
        post("/api/v1/devices/" + lab.get(2).id() + "/decommission"); // leaves: no longer active
        admitted = tickAndCheck(id, admitted);
        post("/api/v1/devices/" + lab.get(2).id() + "/recommission"); // and comes back
        admitted = tickAndCheck(id, admitted);
        fleet.checkIn(lab.get(3), "fw-1.0.bin", "1.6.0", 0, "ok"); // leaves by its manifest's version
        admitted = tickAndCheck(id, admitted);
        late.subList(1, 9).forEach(d -> fleet.setGroup(d, "lab")); // a crowd: the stage grows, others rank in
        admitted = tickAndCheck(id, admitted);

        assertThat(admitted).as("the 20% stage grew with the selection").hasSizeGreaterThan(2);
        assertThat(fleet.get(id).path("selected").asInt()).isEqualTo(members(id).size());
        assertThat(queued()).as("every queued change applied").isZero();
    }

    @StoreTest
    void aRolloutWhosePositionsAreNotKeptGetsThemFromTheWholeSelectionAtItsNextLook(TestDatabase db) {
        fleet = new Fleet(db, dir);
        fleet.devices(4, "board-a");
        String id = fleet.start(Map.of("target", "fw-2.0.bin", "selection", Map.of(),
                "plan", Fleet.plan("{'stages': [{'percent': 50}, {'percent': 100}], 'soakSeconds': 86400}")))
                .path("id").asText();
        Set<String> admitted = check(id, Set.of());
        jdbi().useHandle(h -> { // as a rollout started before schema V18 kept positions
            h.execute("DELETE FROM rollout_positions");
            h.execute("UPDATE deployments SET positions_filled = FALSE");
        });
        fleet.devices(2, "board-a"); // join while nothing is kept (and are queued)

        Set<String> before = admitted;

        admitted = tickAndCheck(id, admitted); // positions as the whole selection's, cohort as its ranking's

        boolean filled = jdbi().withHandle(h -> Positions.filled(h, id));
        assertThat(filled).isTrue();
        assertThat(admitted).containsAll(before).hasSizeGreaterThan(before.size());
    }

    @StoreTest
    void theTriggersQueueTheWritesThatCanChangeMembershipOnly(TestDatabase db) {
        try (Database store = Database.open(db.jdbcUrl())) {
            Jdbi jdbi = store.jdbi();
            jdbi.useHandle(h -> {
                h.execute("INSERT INTO devices (id, key_id, public_key, hardware_id, attributes, status, created_at)"
                        + " VALUES ('dev_q', 'k_q', '{}', 'board-a', '{}', 'active', 1)");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("UPDATE devices SET last_seen_at = 5 WHERE id = 'dev_q'");
                assertThat(changes(h)).as("a check-in's last_seen_at is no change").isEmpty();
                h.execute("UPDATE devices SET device_group = 'lab' WHERE id = 'dev_q'");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("UPDATE devices SET attributes = '{\"region\": \"eu\"}' WHERE id = 'dev_q'");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("UPDATE devices SET status = 'decommissioned' WHERE id = 'dev_q'");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("INSERT INTO device_tags (device_id, tag) VALUES ('dev_q', 'beta')");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("DELETE FROM device_tags WHERE device_id = 'dev_q'");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("INSERT INTO device_manifests (device_id, envelope_hash, manifest_json, received_at)"
                        + " VALUES ('dev_q', 'h', '{}', 1)");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("UPDATE device_manifests SET manifest_json = '{\"installedVersion\": \"1.2.0\"}'");
                assertThat(changes(h)).containsExactly("dev_q");
                h.execute("DELETE FROM device_manifests WHERE device_id = 'dev_q'");
                h.execute("DELETE FROM devices WHERE id = 'dev_q'");
                assertThat(changes(h)).containsExactly("dev_q", "dev_q");
            });
        }
    }

    /** The queued device ids, oldest first; empties the queue. */
    private static List<String> changes(org.jdbi.v3.core.Handle h) {
        List<String> out = h.createQuery("SELECT device_id FROM rollout_member_changes ORDER BY seq")
                .mapTo(String.class).list();
        h.execute("DELETE FROM rollout_member_changes");
        return out;
    }

    private Set<String> tickAndCheck(String id, Set<String> before) {
        fleet.tick(id, Duration.ofSeconds(30)); // joiners are let in every 30 s
        return check(id, before);
    }

    /**
     * Checks the kept positions against the whole selection now, and the admitted devices against those admitted
     * before plus the stage's cohort of ranking the whole selection; returns the admitted devices.
     */
    private Set<String> check(String id, Set<String> before) {
        List<String> members = members(id);
        Map<String, Long> expected = new HashMap<>();
        members.forEach(d -> expected.put(d, Cohorts.position(id, d)));
        Map<String, Long> kept = new HashMap<>();
        jdbi().useHandle(h -> h.createQuery("SELECT device_id, position FROM rollout_positions WHERE rollout_id = :r")
                .bind("r", id).map((rs, ctx) -> kept.put(rs.getString(1), rs.getLong(2))).list());
        assertThat(kept).as("positions of the members now").isEqualTo(expected);
        assertThat(fleet.get(id).path("selected").asInt()).as("the kept count of members").isEqualTo(members.size());

        RolloutRow r = jdbi().withHandle(h -> RolloutRow.find(h, id).orElseThrow());
        Set<String> admitted = new HashSet<>(jdbi().withHandle(h -> h.createQuery(
                "SELECT device_id FROM rollout_devices WHERE rollout_id = :r").bind("r", id).mapTo(String.class).list()));
        Set<String> reference = new HashSet<>(before);
        reference.addAll(Cohorts.cohort(id, members, r.plan(), r.stage()));
        assertThat(admitted).as("admitted: those before and the stage's cohort of the selection now")
                .isEqualTo(reference);
        return admitted;
    }

    /** The selection's members now, by a full read. */
    private List<String> members(String id) {
        return jdbi().withHandle(h -> {
            RolloutRow r = RolloutRow.find(h, id).orElseThrow();
            List<String> out = new ArrayList<>();
            r.selection().members(h, List.of("board-a")).forEach(m -> out.add(m.id()));
            return out;
        });
    }

    private int queued() {
        return jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM rollout_member_changes")
                .mapTo(Integer.class).one());
    }

    private void post(String path) {
        assertThat(fleet.post(path, JsonNodeFactory.instance.objectNode()).status()).isEqualTo(200);
    }

    private Jdbi jdbi() {
        return fleet.srv.server.jdbi();
    }
}
