package dev.flotilla.server.devices;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Rows of {@code devices} and {@code device_tags}; every method runs on the caller's handle. */
final class DeviceStore {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** How many matches make a device list walk the devices in id order on H2 ({@link #walk}). */
    static final int WALK_FROM = 1_000;

    private record Row(String id, String keyId, String publicKey, String hardwareId, String group,
                       String attributes, String status, long createdAt, Long lastSeenAt) {
    }

    /** Inserts an active device; {@code inAdvance} when an operator registers its key before it enrolls. */
    void insert(Handle h, String id, String keyId, JsonNode publicKey, String hardwareId, String group,
                JsonNode attributes, long now, boolean inAdvance) {
        h.createUpdate("""
                        INSERT INTO devices (id, key_id, public_key, hardware_id, device_group, attributes, status,
                                             created_at, registered_in_advance)
                        VALUES (:id, :kid, :pk, :hw, :grp, :attrs, 'active', :now, :adv)""")
                .bind("id", id).bind("kid", keyId).bind("pk", json(publicKey)).bind("hw", hardwareId)
                .bind("grp", group).bind("attrs", json(attributes)).bind("now", now).bind("adv", inAdvance).execute();
        for (Map.Entry<String, String> a : DeviceAttributes.indexed(attributes).entrySet()) {
            h.createUpdate("INSERT INTO device_attributes (device_id, attr_name, attr_value) VALUES (:id, :n, :v)")
                    .bind("id", id).bind("n", a.getKey()).bind("v", a.getValue()).execute();
        }
    }

    /** Stores a device's verified manifest (its {@code signed} part) with its {@link ManifestFacts}. */
    static void storeManifest(Handle h, String deviceId, String envelopeHash, JsonNode signed, long now,
                              boolean exists) {
        ManifestFacts f = ManifestFacts.of(signed);
        String sql = exists
                ? """
                UPDATE device_manifests SET envelope_hash = :h, manifest_json = :m, received_at = :now,
                       installed_target = :it, health_state = :hs, security_version = :sv, trusted_root_version = :rv
                WHERE device_id = :d"""
                : """
                INSERT INTO device_manifests (device_id, envelope_hash, manifest_json, received_at, installed_target,
                                              health_state, security_version, trusted_root_version)
                VALUES (:d, :h, :m, :now, :it, :hs, :sv, :rv)""";
        h.createUpdate(sql).bind("d", deviceId).bind("h", envelopeHash).bind("m", json(signed)).bind("now", now)
                .bind("it", f.installedTarget()).bind("hs", f.healthState())
                .bind("sv", f.securityVersion()).bind("rv", f.trustedRootVersion()).execute();
    }

    Optional<Device> find(Handle h, String id) {
        return rows(h, h.createQuery("SELECT * FROM devices WHERE id = :id").bind("id", id)).stream().findFirst();
    }

    /** The device whose key an operator registered in advance (only such a key enrolls without a token). */
    Optional<Device> findRegisteredInAdvance(Handle h, String keyId) {
        return rows(h, h.createQuery("SELECT * FROM devices WHERE key_id = :kid AND registered_in_advance = TRUE")
                .bind("kid", keyId)).stream().findFirst();
    }

    Optional<Device> findByKeyId(Handle h, String keyId) {
        return rows(h, h.createQuery("SELECT * FROM devices WHERE key_id = :kid").bind("kid", keyId))
                .stream().findFirst();
    }

    /** Devices matching the filter, ordered by id, {@code limit} rows from {@code offset}. */
    List<Device> list(Handle h, DeviceFilter f, int offset, int limit) {
        if (SplitSearch.applies(h, f)) {
            return SplitSearch.list(h, f, null, offset, limit, this::rows);
        }
        DeviceQuery query = new DeviceQuery(f);
        String tail = " ORDER BY d.id LIMIT :limit OFFSET :offset";
        String from = walk(h, query, null) ? query.walkFrom(tail) : query.from(tail);
        return rows(h, query.bind(h.createQuery("SELECT d.*" + from)).bind("limit", limit).bind("offset", offset));
    }

    /**
     * Devices matching the filter whose id comes after {@code after} (null: from the first), ordered by id,
     * up to {@code limit} rows: keyset paging, as fast on the last page as on the first.
     */
    List<Device> listAfter(Handle h, DeviceFilter f, String after, int limit) {
        if (SplitSearch.applies(h, f)) {
            return SplitSearch.list(h, f, after, 0, limit, this::rows);
        }
        DeviceQuery query = new DeviceQuery(f);
        String range = after == null ? "" : " AND d.id > :after";
        String tail = range + " ORDER BY d.id LIMIT :limit";
        Query q = h.createQuery("SELECT d.*" + (walk(h, query, after) ? query.walkFrom(tail) : query.from(tail)));
        if (after != null) {
            q.bind("after", after);
        }
        return rows(h, query.bind(q).bind("limit", limit));
    }

    /**
     * Whether a page of {@code query} (of the devices after {@code after}; null: all) should walk the devices in
     * id order ({@link DeviceQuery#walkFrom}): on H2, for a filter that matches at least {@link #WALK_FROM}
     * of them (counted no further). Such a walk reads about {@code devices * page / matches} rows; a narrower
     * filter is read faster through its own index, which PostgreSQL's planner weighs by itself.
     */
    private static boolean walk(Handle h, DeviceQuery query, String after) {
        if (!query.walkable() || !isH2(h)) {
            return false;
        }
        Query count = h.createQuery("SELECT COUNT(*) FROM (SELECT 1"
                + query.from((after == null ? "" : " AND d.id > :after") + " LIMIT :walkFrom") + ") c");
        if (after != null) {
            count.bind("after", after);
        }
        return query.bind(count).bind("walkFrom", WALK_FROM).mapTo(Long.class).one() >= WALK_FROM;
    }

    static boolean isH2(Handle h) {
        try {
            return "H2".equals(h.getConnection().getMetaData().getDatabaseProductName());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the database's product name", e);
        }
    }

    /** How many devices match the filter (a search on H2: {@link SplitSearch}, as the lists above). */
    long count(Handle h, DeviceFilter f) {
        return SplitSearch.applies(h, f) ? SplitSearch.count(h, f) : new DeviceQuery(f).count(h);
    }

    /** How many devices match the filter, up to {@code limit}. */
    long countUpTo(Handle h, DeviceFilter f, long limit) {
        return SplitSearch.applies(h, f) ? SplitSearch.countUpTo(h, f, limit) : new DeviceQuery(f).countUpTo(h, limit);
    }

    void replaceTags(Handle h, String id, List<String> tags) {
        h.createUpdate("DELETE FROM device_tags WHERE device_id = :id").bind("id", id).execute();
        for (String tag : tags.stream().distinct().sorted().toList()) {
            h.createUpdate("INSERT INTO device_tags (device_id, tag) VALUES (:id, :tag)")
                    .bind("id", id).bind("tag", tag).execute();
        }
    }

    void setGroup(Handle h, String id, String group) {
        h.createUpdate("UPDATE devices SET device_group = :grp WHERE id = :id").bind("grp", group).bind("id", id)
                .execute();
    }

    void setStatus(Handle h, String id, String status) {
        h.createUpdate("UPDATE devices SET status = :s WHERE id = :id").bind("s", status).bind("id", id).execute();
    }

    /**
     * Deletes the device's row and every row that hangs off it: sessions, challenges, tags, manifest, events,
     * assignment, director counter and the pending rows of deployments still to sign it. Deployments that
     * named the device stay (they are history and hold no reference to the row).
     */
    void delete(Handle h, String id) {
        for (String table : List.of("device_sessions", "device_challenges", "device_tags", "device_attributes",
                "device_manifests",
                "device_events", "device_assignments", "director_counters", "deployment_pending")) {
            h.createUpdate("DELETE FROM " + table + " WHERE device_id = :id").bind("id", id).execute();
        }
        h.createUpdate("DELETE FROM devices WHERE id = :id").bind("id", id).execute();
    }

    void touch(Handle h, String id, long now) {
        h.createUpdate("UPDATE devices SET last_seen_at = :now WHERE id = :id").bind("now", now).bind("id", id)
                .execute();
    }

    /** The devices with what their latest manifests say they run ({@link Listed}), in the same order. */
    List<Listed> listed(Handle h, List<Device> devices) {
        Map<String, Listed> byId = new HashMap<>();
        if (!devices.isEmpty()) {
            h.createQuery("""
                            SELECT m.device_id, m.installed_target, m.health_state, m.manifest_json,
                                   (SELECT MIN(r.version) FROM releases r WHERE r.target_path = m.installed_target) v
                            FROM device_manifests m WHERE m.device_id IN (<ids>)""")
                    .bindList("ids", devices.stream().map(Device::id).toList())
                    .map((rs, ctx) -> Map.entry(rs.getString(1), new Listed(null, rs.getString(2),
                            rs.getString(5) != null ? rs.getString(5)
                                    : parse(rs.getString(4)).path("installedVersion").asText(null),
                            rs.getString(3))))
                    .forEach(e -> byId.put(e.getKey(), e.getValue()));
        }
        return devices.stream().map(d -> {
            Listed m = byId.get(d.id());
            return m == null ? new Listed(d, null, null, null)
                    : new Listed(d, m.installedTarget(), m.installedVersion(), m.health());
        }).toList();
    }

    List<Device> rows(Handle h, Query q) {
        List<Row> rows = q.map((rs, ctx) -> new Row(rs.getString("id"), rs.getString("key_id"),
                rs.getString("public_key"), rs.getString("hardware_id"), rs.getString("device_group"),
                rs.getString("attributes"), rs.getString("status"), rs.getLong("created_at"),
                rs.getObject("last_seen_at") == null ? null : rs.getLong("last_seen_at"))).list();
        List<Device> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            List<String> tags = h.createQuery("SELECT tag FROM device_tags WHERE device_id = :id ORDER BY tag")
                    .bind("id", r.id()).mapTo(String.class).list();
            out.add(new Device(r.id(), r.keyId(), parse(r.publicKey()), r.hardwareId(), r.group(), tags,
                    parse(r.attributes()), r.status(), Instant.ofEpochMilli(r.createdAt()).toString(),
                    r.lastSeenAt() == null ? null : Instant.ofEpochMilli(r.lastSeenAt()).toString()));
        }
        return out;
    }

    static String json(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt JSON column", e);
        }
    }
}
