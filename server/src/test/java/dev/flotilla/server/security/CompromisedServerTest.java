package dev.flotilla.server.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.crypto.Digests;
import dev.flotilla.core.crypto.KeyType;
import dev.flotilla.core.director.Assignment;
import dev.flotilla.core.director.AssignmentDecision;
import dev.flotilla.core.director.AssignmentVerifier;
import dev.flotilla.core.firmware.DeviceFacts;
import dev.flotilla.core.firmware.FirmwareInfo;
import dev.flotilla.core.tuf.MetaFile;
import dev.flotilla.core.tuf.Metadata;
import dev.flotilla.core.tuf.RepositoryError;
import dev.flotilla.core.tuf.Signed;
import dev.flotilla.core.tuf.Snapshot;
import dev.flotilla.core.tuf.TargetFile;
import dev.flotilla.core.tuf.Targets;
import dev.flotilla.core.tuf.Timestamp;
import dev.flotilla.core.tuf.client.HttpFetcher;
import dev.flotilla.core.tuf.client.TargetInfo;
import dev.flotilla.core.tuf.client.Updater;
import dev.flotilla.core.tuf.client.UpdaterConfig;
import dev.flotilla.server.testing.BothDatabases;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.OfflineRepo;
import dev.flotilla.server.testing.TestDatabase;
import dev.flotilla.server.testing.TestDevice;
import dev.flotilla.server.testing.TestServer;
import dev.flotilla.server.trust.OnlineKeys;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The compromised-server case: the attacker holds the server's database and its online keys (snapshot,
 * timestamp, director) but not the offline targets key. Whatever the attacker signs, an assignment that
 * points at bytes the targets key never signed is refused by the device-side checks in core.
 */
class CompromisedServerTest {
    @TempDir
    Path dir;

    @Test
    void assignmentsForUnsignedBytesAreRefusedByTheDevice() throws Exception {
        MutableClock clock = new MutableClock();
        TestDatabase db = BothDatabases.h2();
        OfflineRepo repo = new OfflineRepo();
        byte[] good = "good firmware 1.0".getBytes(StandardCharsets.UTF_8);
        byte[] evil = "evil firmware with a backdoor".getBytes(StandardCharsets.UTF_8);
        try (TestServer srv = TestServer.start(db, dir.resolve("data"), clock)) {
            repo.trust(srv.http, srv.adminToken, clock.instant());
            assertThat(repo.publish(srv.http, srv.adminToken, "fw-1.0.bin", good,
                    repo.addTarget("fw-1.0.bin", good, "1.0.0", "board-a", clock.instant()).sign(repo.targetsKey))
                    .status()).isEqualTo(201);
            TestDevice device = srv.device(KeyType.ED25519, "board-a");

            // the device has refreshed once while the server was honest
            Path meta = dir.resolve("device/metadata");
            Files.createDirectories(meta);
            Updater.initialize(meta, repo.root.toBytes());
            URI base = srv.server.uri();
            Updater updater = new Updater(UpdaterConfig.of(meta, base.resolve("/tuf/metadata/"),
                    dir.resolve("device/targets"), base.resolve("/tuf/targets/")), new HttpFetcher(), clock);
            updater.refresh();
            var root = updater.trusted().root().signed();
            var state = new AssignmentVerifier.DeviceState(device.id(), 0, new DeviceFacts("board-a", "0.9.0", 0));

            // the attacker: the key files and the database
            OnlineKeys stolen = OnlineKeys.loadOrCreate(dir.resolve("data"));
            Jdbi stolenDb = Jdbi.create(db.jdbcUrl());
            Instant now = clock.instant();

            // 1. an assignment for a path the targets key never signed
            ObjectNode unknown = new Assignment(device.id(), "dep_evil", "fw-evil.bin", evil.length,
                    Map.of("sha256", Digests.sha256Hex(evil)), 1000, now, now.plus(Duration.ofDays(1))).sign(stolen.director());
            assertThat(reason(AssignmentVerifier.verify(unknown, root, state, now, updater::getTargetInfo)))
                    .isEqualTo(AssignmentDecision.Reason.UNKNOWN_TARGET);

            // 2. an assignment for the signed path, but with the evil bytes' length and hash
            ObjectNode swapped = new Assignment(device.id(), "dep_evil", "fw-1.0.bin", evil.length,
                    Map.of("sha256", Digests.sha256Hex(evil)), 1001, now, now.plus(Duration.ofDays(1))).sign(stolen.director());
            assertThat(reason(AssignmentVerifier.verify(swapped, root, state, now, updater::getTargetInfo)))
                    .isEqualTo(AssignmentDecision.Reason.TARGET_MISMATCH);

            // 3. the attacker rewrites the repository in the database: targets 2 listing the evil bytes
            //    (signed with the only keys it has), and snapshot 2 / timestamp 2 properly signed with the
            //    online keys; the evil bytes are served from the artifact directory
            TargetFile evilEntry = TargetFile.of(evil, new FirmwareInfo(List.of("board-a"), "1.0.0", 0).toCustom());
            Metadata<Targets> forged = Metadata.of(new Targets(Signed.SPEC_VERSION, 2, now.plus(Duration.ofDays(30)),
                    Map.of("fw-1.0.bin", evilEntry), null, Map.of())).sign(stolen.snapshot()).sign(stolen.director());
            byte[] forgedBytes = forged.toBytes();
            Metadata<Snapshot> snap = Metadata.of(new Snapshot(Signed.SPEC_VERSION, 2, now.plus(Duration.ofDays(7)),
                    Map.of("targets.json", new MetaFile(2, (long) forgedBytes.length,
                            Map.of("sha256", Digests.sha256Hex(forgedBytes)), Map.of())), Map.of())).sign(stolen.snapshot());
            byte[] snapBytes = snap.toBytes();
            Metadata<Timestamp> ts = Metadata.of(new Timestamp(Signed.SPEC_VERSION, 2, now.plus(Duration.ofDays(1)),
                    new MetaFile(2, (long) snapBytes.length, Map.of("sha256", Digests.sha256Hex(snapBytes)), Map.of()),
                    Map.of())).sign(stolen.timestamp());
            stolenDb.useHandle(h -> {
                // stored with their real expiries, so that the server's refresher leaves them in place
                insert(h, "targets", 2, forgedBytes, now, now.plus(Duration.ofDays(30)));
                insert(h, "snapshot", 2, snapBytes, now, now.plus(Duration.ofDays(7)));
                insert(h, "timestamp", 2, ts.toBytes(), now, now.plus(Duration.ofDays(1)));
                h.createUpdate("UPDATE releases SET length = :l, sha256 = :s, artifact_key = :k"
                                + " WHERE target_path = 'fw-1.0.bin'")
                        .bind("l", evil.length).bind("s", Digests.sha256Hex(evil))
                        .bind("k", "artifacts/" + Digests.sha256Hex(evil)).execute();
            });
            Files.write(dir.resolve("data/artifacts").resolve(Digests.sha256Hex(evil)), evil);
            ObjectNode matching = new Assignment(device.id(), "dep_evil", "fw-1.0.bin", evil.length,
                    Map.of("sha256", Digests.sha256Hex(evil)), 1002, now, now.plus(Duration.ofDays(1))).sign(stolen.director());

            // the device's TUF refresh refuses the forged targets (not signed by the targets key) ...
            assertThatThrownBy(updater::refresh).isInstanceOfSatisfying(RepositoryError.class,
                    e -> assertThat(e.reason()).isEqualTo(RepositoryError.Reason.UNSIGNED));
            // ... so the assignment is judged against what the device verified: the lookup fails
            assertThat(reason(AssignmentVerifier.verify(matching, root, state, now, updater::getTargetInfo)))
                    .isEqualTo(AssignmentDecision.Reason.UNKNOWN_TARGET);
            // a fresh device (no earlier state) refuses it too
            Path meta2 = dir.resolve("device2/metadata");
            Files.createDirectories(meta2);
            Updater.initialize(meta2, repo.root.toBytes());
            Updater fresh = new Updater(UpdaterConfig.of(meta2, base.resolve("/tuf/metadata/"),
                    dir.resolve("device2/targets"), base.resolve("/tuf/targets/")), new HttpFetcher(), clock);
            Function<String, Optional<TargetInfo>> lookup = fresh::getTargetInfo;
            assertThat(reason(AssignmentVerifier.verify(matching, root, state, now, lookup)))
                    .isEqualTo(AssignmentDecision.Reason.UNKNOWN_TARGET);
            // the attack is live: the server really serves the forged repository and the evil bytes
            assertThat(srv.http.get("/tuf/metadata/timestamp.json", null).json().path("signed").path("version").asLong())
                    .isEqualTo(2);
            assertThat(srv.http.get("/tuf/targets/" + Digests.sha256Hex(evil) + ".fw-1.0.bin", srv.adminToken).text())
                    .isEqualTo(new String(evil, StandardCharsets.UTF_8));
        }
    }

    @Test
    void assignmentNotSignedByTheDirectorRoleIsRefused() throws Exception {
        MutableClock clock = new MutableClock();
        OfflineRepo repo = new OfflineRepo();
        try (TestServer srv = TestServer.start(BothDatabases.h2(), dir.resolve("data"), clock)) {
            repo.buildRoot(srv.http.get("/api/v1/trust/online-keys", srv.adminToken).json(), clock.instant());
            Instant now = clock.instant();
            ObjectNode bySnapshotKey = new Assignment("dev_1", "dep", "fw.bin", 3, Map.of("sha256", "00".repeat(32)), 1,
                    now, now.plus(Duration.ofDays(1))).sign(srv.server.onlineKeys().snapshot());
            var state = new AssignmentVerifier.DeviceState("dev_1", 0, new DeviceFacts("board-a", null, 0));
            assertThat(reason(AssignmentVerifier.verify(bySnapshotKey, repo.root.signed(), state, now, p -> Optional.empty())))
                    .isEqualTo(AssignmentDecision.Reason.UNSIGNED);
            ObjectNode expired = new Assignment("dev_1", "dep", "fw.bin", 3, Map.of("sha256", "00".repeat(32)), 1,
                    now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))).sign(srv.server.onlineKeys().director());
            assertThat(reason(AssignmentVerifier.verify(expired, repo.root.signed(), state, now, p -> Optional.empty())))
                    .isEqualTo(AssignmentDecision.Reason.EXPIRED);
        }
    }

    private static void insert(org.jdbi.v3.core.Handle h, String role, long version, byte[] bytes, Instant now,
                               Instant expires) {
        h.createUpdate("INSERT INTO tuf_metadata (role_name, version, body, expires_at, created_at) VALUES (:r, :v, :b, :e, :c)")
                .bind("r", role).bind("v", version).bind("b", new String(bytes, StandardCharsets.UTF_8))
                .bind("e", expires.toEpochMilli()).bind("c", now.toEpochMilli()).execute();
    }

    private static AssignmentDecision.Reason reason(AssignmentDecision d) {
        assertThat(d).isInstanceOf(AssignmentDecision.Refuse.class);
        return ((AssignmentDecision.Refuse) d).reason();
    }
}
