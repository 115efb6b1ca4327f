package dev.flotilla.server.devices;

import dev.flotilla.server.audit.AuditLog;
import dev.flotilla.server.enrollment.EnrollmentService;
import dev.flotilla.server.http.Page;
import dev.flotilla.server.store.Database;
import dev.flotilla.server.testing.MutableClock;
import dev.flotilla.server.testing.StoreTest;
import dev.flotilla.server.testing.TestDatabase;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The device list answers the same devices in the same order whichever way the database reads them: on H2 a
 * filter that matches at least {@link DeviceStore#WALK_FROM} devices walks them in id order, a narrower one
 * reads through its own index; PostgreSQL plans by itself. Every filter, on both databases, is compared with
 * the fleet as generated: keyset pages to the end, offset pages, and the counts. A search ({@code q}) matches
 * by id prefix, by key-id prefix or by both; on H2 it is two statements merged ({@link SplitSearch}).
 */
class DeviceListPlansTest {
    private static final int DEVICES = 2_400;
    private static final long ONLINE_SINCE = 1_200;

    /** The generated fleet's facts of device {@code i} (id {@code dev_0000i}). */
    private static int k(int i) {
        return (int) ((i * 7919L) % DEVICES); // scrambles the properties against the id order
    }

    private static String hw(int i) {
        return "board-" + k(i) % 2;
    }

    private static boolean hasManifest(int i) {
        return k(i) % 13 != 5;
    }

    private static String health(int i) {
        return k(i) % 10 == 0 ? "degraded" : "ok";
    }

    private static boolean onNew(int i) {
        return k(i) % 4 < 2;
    }

    private static String region(int i) {
        return k(i) % 3 == 0 ? "us" : "eu";
    }

    private static boolean active(int i) {
        return k(i) % 17 != 3;
    }

    private static Long lastSeen(int i) {
        return k(i) % 5 == 0 ? null : (long) k(i);
    }

    private static String group(int i) {
        return k(i) % 50 == 7 ? "lab" : null;
    }

    private static String id(int i) {
        return String.format("dev_%05d", i);
    }

    /** Every ninth device's key id starts like a device id, so that a search matches by either or by both. */
    private static String keyId(int i) {
        return k(i) % 9 == 4 ? String.format("dev_012k%05d", i) : "k" + id(i);
    }

    private static boolean searched(int i, String q) {
        return id(i).startsWith(q) || keyId(i).startsWith(q);
    }

    private static boolean tagged(int i) {
        return k(i) % 6 == 1;
    }

    @StoreTest
    void everyFilterListsTheSameDevicesInIdOrderOnEitherPlan(TestDatabase tdb) {
        try (Database db = Database.open(tdb.jdbcUrl())) {
            fill(db);
            MutableClock clock = new MutableClock();
            AuditLog audit = new AuditLog(clock);
            DeviceService devices = new DeviceService(db.jdbi(), audit, new EnrollmentService(db.jdbi(), audit, clock),
                    clock);
            check(devices, filter("board-1", null, null, null, null, null, null), i -> hw(i).equals("board-1"));
            check(devices, filter("board-1", null, null, null, "ok", null, null),
                    i -> hw(i).equals("board-1") && hasManifest(i) && health(i).equals("ok"));
            check(devices, filter("board-0", null, null, null, "degraded", null, null),
                    i -> hw(i).equals("board-0") && hasManifest(i) && health(i).equals("degraded"));
            check(devices, filter(null, null, null, null, "ok", null, null), i -> hasManifest(i) && health(i).equals("ok"));
            check(devices, filter(null, null, null, "2.0", null, new DeviceFilter.Attribute("region", "eu"), null),
                    i -> hasManifest(i) && onNew(i) && region(i).equals("eu"));
            check(devices, filter(null, null, null, null, null, null, DeviceFilter.ONLINE),
                    i -> lastSeen(i) != null && lastSeen(i) >= ONLINE_SINCE);
            check(devices, filter(null, null, Device.ACTIVE, null, null, null, DeviceFilter.OFFLINE),
                    i -> active(i) && (lastSeen(i) == null || lastSeen(i) < ONLINE_SINCE));
            check(devices, filter("board-0", "canary", null, null, null, null, null),
                    i -> hw(i).equals("board-0") && tagged(i));
            check(devices, new DeviceFilter(null, null, "lab", null), i -> "lab".equals(group(i)));
            check(devices, filter(null, null, null, null, null, null, null), i -> true);
            for (String q : new String[] {"dev_01", "dev_012", "dev_012k", "k"}) {
                check(devices, new DeviceFilter(null, null, null, null, null, null, null, q, null, 0),
                        i -> searched(i, q));
            }
            check(devices, new DeviceFilter("board-1", null, null, null, null, "ok", null, "dev_012", null, 0),
                    i -> hw(i).equals("board-1") && hasManifest(i) && health(i).equals("ok")
                            && searched(i, "dev_012"));
        }
    }

    private static DeviceFilter filter(String hw, String tag, String status, String version, String health,
                                       DeviceFilter.Attribute attribute, String connectivity) {
        return new DeviceFilter(hw, tag, null, status, version, health, attribute, null, connectivity, ONLINE_SINCE);
    }

    private static void check(DeviceService devices, DeviceFilter f, IntPredicate matches) {
        List<String> expected = IntStream.range(0, DEVICES).filter(matches).mapToObj(i -> String.format("dev_%05d", i))
                .toList();
        List<String> walked = new ArrayList<>();
        String after = null;
        do {
            DeviceService.KeysetPage page = devices.listAfter(f, after, 50);
            assertThat(page.items()).as(f + " after " + after).hasSizeLessThanOrEqualTo(50);
            page.items().forEach(d -> walked.add(d.device().id()));
            after = page.nextAfter();
        } while (after != null);
        assertThat(walked).as(f.toString()).isEqualTo(expected);
        for (int offset : new int[] {0, 50, 700, expected.size() - 10}) {
            List<String> listed = devices.list(f, new Page.Request(Math.max(0, offset), 50)).items().stream()
                    .map(l -> l.device().id()).toList();
            int from = Math.max(0, offset);
            assertThat(listed).as(f + " offset " + offset)
                    .isEqualTo(expected.subList(Math.min(from, expected.size()), Math.min(from + 50, expected.size())));
        }
        assertThat(devices.count(f)).as(f.toString()).isEqualTo(expected.size());
        assertThat(devices.countUpTo(f, 1_001)).as(f.toString()).isEqualTo(Math.min(expected.size(), 1_001));
    }

    private static void fill(Database db) {
        db.jdbi().useHandle(h -> h.execute("INSERT INTO releases (target_path, length, sha256, sha512, version,"
                + " targets_version, created_at, artifact_key) VALUES ('fw-2.0.bin', 1, 'aa', 'bb', '2.0', 1, 0, 'artifacts/aa')"));
        db.jdbi().useTransaction(h -> {
            PreparedBatch devices = h.prepareBatch("INSERT INTO devices (id, key_id, public_key, hardware_id,"
                    + " device_group, attributes, status, created_at, last_seen_at)"
                    + " VALUES (:id, :kid, '{}', :hw, :grp, :a, :status, 0, :seen)");
            PreparedBatch manifests = h.prepareBatch("INSERT INTO device_manifests (device_id, envelope_hash,"
                    + " manifest_json, received_at, installed_target, health_state, security_version,"
                    + " trusted_root_version) VALUES (:id, 'h', '{}', 0, :t, :hs, 1, 1)");
            PreparedBatch attributes = h.prepareBatch(
                    "INSERT INTO device_attributes (device_id, attr_name, attr_value) VALUES (:id, 'region', :r)");
            PreparedBatch tags = h.prepareBatch("INSERT INTO device_tags (device_id, tag) VALUES (:id, 'canary')");
            for (int i = 0; i < DEVICES; i++) {
                String id = String.format("dev_%05d", i);
                devices.bind("id", id).bind("kid", keyId(i)).bind("hw", hw(i)).bind("grp", group(i))
                        .bind("a", "{\"region\":\"" + region(i) + "\"}")
                        .bind("status", active(i) ? Device.ACTIVE : Device.DECOMMISSIONED).bind("seen", lastSeen(i)).add();
                if (hasManifest(i)) {
                    manifests.bind("id", id).bind("t", onNew(i) ? "fw-2.0.bin" : "fw-1.0.bin").bind("hs", health(i)).add();
                }
                attributes.bind("id", id).bind("r", region(i)).add();
                if (tagged(i)) {
                    tags.bind("id", id).add();
                }
            }
            devices.execute();
            manifests.execute();
            attributes.execute();
            tags.execute();
        });
    }
}
