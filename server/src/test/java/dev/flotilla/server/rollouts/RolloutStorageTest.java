package dev.flotilla.server.rollouts;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.devices.DeviceEvent;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.trust.TufStore;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Schema V8 turns the deployments and assignments made before it into rollouts and their devices' rows; the
 * evaluation lock lets one server evaluate at a time and passes on when its holder's connection ends.
 */
class RolloutStorageTest {

    /**
     * A new database of this one's kind with the schema as it was before rollouts (V7), for rows that V8 turns
     * into a rollout's.
     */
    private static TestDatabase atV7(TestDatabase like) {
        TestDatabase db = BothDatabases.empty(like.kind());
        String[] locations = db.kind().equals("h2") ? new String[] {"classpath:db/migration", "classpath:db/h2"}
                : new String[] {"classpath:db/migration", "classpath:db/postgresql"};
        Flyway.configure().dataSource(db.jdbcUrl(), "", "").locations(locations).target("7").load().migrate();
        return db;
    }

    @StoreTest
    void upgradingToV8KeepsDeploymentsAsOneStageRolloutsWithTheirDevicesOutcomes(TestDatabase current)
            throws Exception {
        TestDatabase db = atV7(current);
        try (Connection c = DriverManager.getConnection(db.jdbcUrl()); Statement s = c.createStatement()) {
            for (String d : List.of("dev_a", "dev_b")) {
                s.execute("INSERT INTO devices (id, key_id, public_key, hardware_id, attributes, status, created_at)"
                        + " VALUES ('" + d + "', 'k" + d + "', '{}', 'board-a', '{}', 'active', 1)");
            }
            s.execute("INSERT INTO deployments (id, target_path, group_name, state, created_at, created_by)"
                    + " VALUES ('dep_old', 'fw.bin', 'lab', 'active', 5, 'tok_admin')");
            s.execute("INSERT INTO device_assignments (device_id, deployment_id, target_path, counter, status, body,"
                    + " body_hash, expires_at, updated_at) VALUES ('dev_a', 'dep_old', 'fw.bin', 1, 'committed', '{}',"
                    + " 'h', 9, 7), ('dev_b', 'dep_old', 'fw.bin', 1, 'installed', '{}', 'h', 9, 8)");
        }

        try (Database upgraded = Database.open(db.jdbcUrl())) {
            List<String> rows = upgraded.jdbi().withHandle(h -> h.createQuery("""
                    SELECT device_id || '=' || state || '@' || stage FROM rollout_devices
                    WHERE rollout_id = 'dep_old' ORDER BY device_id""").mapTo(String.class).list());
            assertThat(rows).containsExactly("dev_a=committed@0", "dev_b=installing@0");
            String kind = upgraded.jdbi().withHandle(h -> h.createQuery(
                    "SELECT kind || ',' || stage_started_at FROM deployments WHERE id = 'dep_old'").mapTo(String.class).one());
            assertThat(kind).isEqualTo("deployment,5");
            RolloutRow r = upgraded.jdbi().withHandle(h -> RolloutRow.find(h, "dep_old").orElseThrow());
            assertThat(r.plan()).isEqualTo(Plan.ONE_STAGE);
            assertThat(r.selection().groups()).containsExactly("lab");
            assertThat(r.selection().dynamic()).isTrue();
        }
    }

    @StoreTest
    void oneServerEvaluatesAtATimeAndTheLockPassesOnWhenItsHolderDies(TestDatabase db) throws Exception {
        try (Database store = Database.open(db.jdbcUrl())) {
            MutableClock clock = new MutableClock();
            Rollouts rollouts = new Rollouts(store.jdbi(), new TufStore(), OfflineRepo.signer(), new AuditLog(clock),
                    clock, id -> { });
            Connection holder = DriverManager.getConnection(db.jdbcUrl()); // another server's connection
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.executeQuery("SELECT id FROM rollout_evaluation_lock WHERE id = 1 FOR UPDATE").close();
            }

            CompletableFuture<Void> evaluation = CompletableFuture.runAsync(() -> rollouts.evaluator().evaluate());
            Thread.sleep(500);
            assertThat(evaluation).as("waits for the holder").isNotDone();

            holder.close(); // the holder's session ends without a commit, as when its server dies
            evaluation.get(10, TimeUnit.SECONDS);
            assertThat(evaluation).isCompleted();
        }
    }

    @StoreTest
    void aDeviceEventThatRacesAHaltCannotUndoTheWithdrawal(TestDatabase current) throws Exception {
        TestDatabase db = atV7(current);
        try (Database store = deviceInRollout(db, "assigned")) {
            store.jdbi().useHandle(h -> h.execute("UPDATE rollout_devices SET state = 'downloading'"));
            DeviceEvent downloaded = new DeviceEvent("dev_a", "evt_1", "downloaded", "2026-01-01T00:00:00Z",
                    "2026-01-01T00:00:00Z", null);

            String state = whileAHaltWrites(db, store, "withdrawn",
                    h -> RolloutDevices.onEvent(h, "rol_r", downloaded, 60_000, 10));

            assertThat(state).as("the event read the row before the halt committed; it must not overwrite it")
                    .isEqualTo("withdrawn");
        }
    }

    @StoreTest
    void anUnhealthyReportThatRacesAHaltsRevertCannotUndoTheRevert(TestDatabase current) throws Exception {
        TestDatabase db = atV7(current);
        try (Database store = committedWithinAnHourOfSoak(db)) {
            String state = whileAHaltWrites(db, store, "reverted", h -> RolloutDevices.unhealthy(h, "dev_a", 10));

            assertThat(state).as("the report read the row before the halt committed; it must not overwrite it")
                    .isEqualTo("reverted");
        }
    }

    @StoreTest
    void anUnhealthyReportWithinTheSoakTimeFailsTheCommittedRow(TestDatabase current) throws Exception {
        TestDatabase db = atV7(current);
        try (Database store = committedWithinAnHourOfSoak(db)) {
            store.jdbi().useTransaction(h -> RolloutDevices.unhealthy(h, "dev_a", 10));
            String row = store.jdbi().withHandle(h -> h.createQuery(
                    "SELECT state || ',' || reason FROM rollout_devices WHERE rollout_id = 'rol_r'")
                    .mapTo(String.class).one());
            assertThat(row).isEqualTo("failed,unhealthy");
        }
    }

    /**
     * Device dev_a in rollout rol_r (active), from an assignment in {@code status} made before rollouts: written
     * into {@code db} (at V7), which the server then opens and migrates.
     */
    private static Database deviceInRollout(TestDatabase db, String status) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("INSERT INTO devices (id, key_id, public_key, hardware_id, attributes, status, created_at)"
                    + " VALUES ('dev_a', 'kdev_a', '{}', 'board-a', '{}', 'active', 1)");
            s.execute("INSERT INTO deployments (id, target_path, group_name, state, created_at, created_by)"
                    + " VALUES ('rol_r', 'fw.bin', 'lab', 'active', 5, 'tok_admin')");
            s.execute("INSERT INTO device_assignments (device_id, deployment_id, target_path, counter, status, body,"
                    + " body_hash, expires_at, updated_at) VALUES ('dev_a', 'rol_r', 'fw.bin', 1, '" + status
                    + "', '{}', 'h', 9, 7)");
        }
        return Database.open(db.jdbcUrl());
    }

    /** Device dev_a committed at 8 ms in rollout rol_r, active, whose one stage soaks an hour. */
    private static Database committedWithinAnHourOfSoak(TestDatabase db) throws Exception {
        Database store = deviceInRollout(db, "committed");
        store.jdbi().useHandle(h -> {
            h.execute("UPDATE deployments SET plan_json = '{\"stages\": [{\"percent\": 100}],"
                    + " \"soakSeconds\": 3600}' WHERE id = 'rol_r'");
            h.execute("UPDATE rollout_devices SET state = 'committed', committed_at = 8");
        });
        long soak = store.jdbi().withHandle(h -> RolloutRow.find(h, "rol_r").orElseThrow().plan().soakSeconds(0));
        assertThat(soak).as("the committed row is within its soak time").isEqualTo(3600);
        return store;
    }

    /**
     * Runs {@code write} in a transaction while a halt (another connection) holds dev_a's row updated to
     * {@code haltState} and not yet committed; commits the halt half a second later, and returns the row's state
     * once both are done.
     */
    private static String whileAHaltWrites(TestDatabase db, Database store, String haltState,
                                           org.jdbi.v3.core.HandleConsumer<RuntimeException> write) throws Exception {
        try (Connection halt = DriverManager.getConnection(db.jdbcUrl())) {
            halt.setAutoCommit(false);
            try (Statement s = halt.createStatement()) {
                s.executeUpdate("UPDATE rollout_devices SET state = '" + haltState + "', reason = 'halted'"
                        + " WHERE rollout_id = 'rol_r' AND device_id = 'dev_a'");
            }
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> store.jdbi().useTransaction(write));
            Thread.sleep(500);
            halt.commit();
            writer.get(10, TimeUnit.SECONDS);
        }
        return store.jdbi().withHandle(h -> h.createQuery(
                "SELECT state FROM rollout_devices WHERE rollout_id = 'rol_r' AND device_id = 'dev_a'")
                .mapTo(String.class).one());
    }
}
